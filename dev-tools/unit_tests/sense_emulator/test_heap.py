"""The emulator's heap policy (glibc's mmap threshold)."""
import ctypes.util
import platform

import pytest

from sense_emulator.heap import return_large_blocks


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_glibc_takes_the_fixed_mmap_threshold():
    assert ctypes.util.find_library("c")
    assert return_large_blocks() is True
