"""The locks (requirements/*.lock, made by `make lock`) satisfy every setup.py, and are what installs use.

Each lock is compiled from requirements/NAME.in; ours (the distributions of this checkout) are left out of
it and installed with --no-deps. This test reads the .in files and each of our setup.py files as they are
now (setuptools runs them up to setup(), nothing is built) and holds every lock to them: each third-party
requirement of a locked distribution, with the extras the .in asks for, must be in the lock at a version
its range allows. A setup.py that gained or changed a requirement after the last `make lock` fails here.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest
import setuptools  # noqa: F401  (first: distutils is then setuptools' copy)
from distutils.core import run_setup  # noqa: E402
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ROOT / "requirements"
ENVIRONMENT = {"python_version": "3.11", "python_full_version": "3.11.0", "sys_platform": "linux", "platform_system": "Linux",
               "os_name": "posix", "platform_machine": "x86_64", "implementation_name": "cpython",
               "platform_python_implementation": "CPython"}
_PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;\\]+)", re.MULTILINE)


def _ours() -> Dict[str, Tuple[Path, List[str], Dict[str, List[str]]]]:
    """Our distributions: name -> (directory, install_requires, extras_require), read from each setup.py."""
    out = {}
    for setup in [ROOT / "setup.py", *sorted(ROOT.glob("*/setup.py"))]:
        dist = run_setup(str(setup), stop_after="init")
        out[canonicalize_name(dist.get_name())] = (setup.parent.resolve(), list(dist.install_requires or []),
                                                   {k: list(v) for k, v in (dist.extras_require or {}).items()})
    return out


OURS = _ours()
BY_DIRECTORY = {directory: name for name, (directory, _, _) in OURS.items()}


def _pins(lock: Path) -> Dict[str, str]:
    return {canonicalize_name(name.split("[")[0]): version for name, version in _PIN.findall(lock.read_text())}


def _inputs(path: Path) -> List[Requirement]:
    """The requirements of a .in file (``-r`` followed, ``-e``/paths mapped to our distributions' names)."""
    out = []
    for raw in path.read_text().splitlines():
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-r "):
            out += _inputs(path.parent / line[3:].strip())
            continue
        line = line.removeprefix("-e ").strip()
        if line.startswith("."):
            target, _, extras = line.partition("[")
            name = BY_DIRECTORY[(ROOT / target).resolve()]
            line = f"{name}[{extras}" if extras else name
        out.append(Requirement(line))
    return out


def lock_problems(name: str) -> List[str]:
    """Why requirements/NAME.lock no longer satisfies its .in and our setup.py files; empty when it does."""
    pins = _pins(LOCKS / f"{name}.lock")
    problems: List[str] = []
    seen: Set[Tuple[str, frozenset]] = set()
    todo = [(r, f"requirements/{name}.in") for r in _inputs(LOCKS / f"{name}.in")]
    while todo:
        requirement, wanted_by = todo.pop()
        key = canonicalize_name(requirement.name)
        if key in OURS:
            if (key, frozenset(requirement.extras)) in seen:
                continue
            seen.add((key, frozenset(requirement.extras)))
            _, base, extras = OURS[key]
            for text in base + [r for extra in sorted(requirement.extras) for r in extras.get(extra, [])]:
                sub = Requirement(text)
                if sub.marker is None or sub.marker.evaluate({**ENVIRONMENT, "extra": ""}):
                    todo.append((sub, key))
            continue
        if key not in pins:
            problems.append(f"requirements/{name}.lock has no {requirement} (required by {wanted_by}): run make lock")
        elif not requirement.specifier.contains(pins[key], prereleases=True):
            problems.append(f"requirements/{name}.lock has {key}=={pins[key]}, but {wanted_by} requires {requirement}: run make lock")
    return problems


@pytest.mark.parametrize("name", ["dev", "destination", "receiver", "pyairbyte", "build", "tools"])
def test_each_lock_satisfies_the_setup_py_files_it_is_made_from(name):
    assert lock_problems(name) == []


def test_the_locks_pin_third_party_packages_only_each_with_hashes():
    for lock in sorted(LOCKS.glob("*.lock")):
        text = lock.read_text()
        assert not set(_pins(lock)) & set(OURS), f"{lock.name} pins a distribution of this checkout: run make lock"
        assert not re.search(r"^-e |^\.|file://", text, re.MULTILINE), lock.name
        for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2]):
            if "==" in block.split("\n")[0]:
                assert "--hash=sha256:" in block, f"{lock.name}: {block.splitlines()[0]} has no hash"
        assert sorted(LOCKS.glob("*.in")) and (LOCKS / f"{lock.stem}.in").is_file(), f"{lock.name} has no .in"


def test_a_requirement_added_to_a_setup_py_after_the_last_lock_fails_naming_make_lock(monkeypatch):
    name = "airbyte-destination-sense"
    directory, base, extras = OURS[name]
    monkeypatch.setitem(OURS, name, (directory, base + ["tomli-w>=1.0", "orjson>=99"], extras))
    problems = lock_problems("destination")
    assert "requirements/destination.lock has no tomli-w>=1.0 (required by airbyte-destination-sense): run make lock" in problems
    assert any(p.startswith("requirements/destination.lock has orjson==") and p.endswith("requires orjson>=99: run make lock")
               for p in problems), problems


def test_installs_use_the_locks():
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements/$(2).lock" in makefile and "--no-deps --no-build-isolation $(EDITABLES)" in makefile
    assert "$(call locked_venv,$(VENV),dev)" in makefile and "$(call locked_venv,$(PYAIRBYTE_VENV),pyairbyte)" in makefile
    dockerfile = (ROOT / "Dockerfile").read_text()
    runs = re.findall(r"^RUN (?:.*\\\n)*.*$", dockerfile, re.MULTILINE)
    assert any("--require-hashes" in run and "-r requirements/destination.lock" in run for run in runs), runs
    assert any("--no-deps --no-build-isolation" in run and "./sense-api ." in run for run in runs), runs
    ignored = (ROOT / ".dockerignore").read_text().splitlines()  # the build context must hold the locks it installs
    assert {"!requirements/destination.lock", "!requirements/build.lock"} <= set(ignored)
    # the receiver's image: scripts/build_images.py fetches the locked wheels by hash and puts the lock beside
    # them (its build context is .image-wheels/); the Dockerfile installs from the lock with hashes, then ours
    receiver = (ROOT / "sense-writeback" / "Dockerfile").read_text()
    runs = re.findall(r"^RUN (?:.*\\\n)*.*$", receiver, re.MULTILINE)
    assert any("--require-hashes" in run and "-r /wheels/receiver.lock" in run and "--no-deps" in run for run in runs), runs
    builder = (ROOT / "scripts" / "build_images.py").read_text()
    assert '"receiver.lock"' in builder and "--require-hashes" in builder.split("def prepare_receiver_wheels", 1)[1]
    for manifest_only in ("source-ats", "source-sense-writebacks"):  # nothing installed beyond their base
        assert "pip install" not in (ROOT / manifest_only / "Dockerfile").read_text()
