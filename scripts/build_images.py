#!/usr/bin/env python3
"""Build the images: the connectors airbyte/destination-sense:dev, airbyte/source-ats:dev and
airbyte/source-sense-writebacks:dev, and the service sense-writeback:dev (``make image``).

Base images, in this order (``--base auto``, the default):
  1. the digest-pinned bases named in each connector's Dockerfile (pulled if absent);
  2. the stand-ins made by ``scripts/build_stand_in_base.sh`` (no Docker Hub needed).
``--base pinned`` or ``--base stand-in`` forces one. The destination's wheels are fetched by this
machine's pip into ``.image-wheels/`` (the sense-api and destination wheels built from their setup.py, their
requirements, setuptools and wheel) and installed from there, so the build itself needs no network.

Prints each image's size. Exit codes: 0 built, 1 a build failed, 3 no Docker daemon or no base image
(the message says which; the image tests skip with it).
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = {
    # name: (Dockerfile, build context, tag, stand-in base)
    "destination-sense": (ROOT / "Dockerfile", ROOT, "airbyte/destination-sense:dev", "sense-local/python-connector-base:stand-in"),
    "source-ats": (ROOT / "source-ats" / "Dockerfile", ROOT / "source-ats", "airbyte/source-ats:dev", "sense-local/source-declarative-manifest:stand-in"),
    "source-sense-writebacks": (ROOT / "source-sense-writebacks" / "Dockerfile", ROOT / "source-sense-writebacks",
                                "airbyte/source-sense-writebacks:dev", "sense-local/source-declarative-manifest:stand-in"),
    "sense-writeback": (ROOT / "sense-writeback" / "Dockerfile", ROOT / "sense-writeback", "sense-writeback:dev",
                        "sense-local/python-slim:stand-in"),
}
WHEELS = ROOT / ".image-wheels"
RECEIVER_WHEELS = ROOT / "sense-writeback" / ".image-wheels"
# sense-writeback's runtime base has no pip: on the stand-in, its build stage runs on the connector base (same
# Debian python3.11); on the pinned base, both stages are python:3.11-slim.
RECEIVER_BUILD_STAND_IN = "sense-local/python-connector-base:stand-in"
UNAVAILABLE = 3


def pinned_base(dockerfile: Path) -> str:
    match = re.search(r"^ARG BASE_IMAGE=(\S+)$", dockerfile.read_text(), re.MULTILINE)
    if not match:
        raise SystemExit(f"{dockerfile}: no 'ARG BASE_IMAGE=' line")
    return match.group(1)


def _docker(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


def docker_problem() -> str | None:
    """Why Docker cannot be used here, or None."""
    if shutil.which("docker") is None:
        return "the docker CLI is not installed"
    try:
        if _docker("info", timeout=20).returncode != 0:
            return "no Docker daemon is reachable (docker info failed)"
    except subprocess.TimeoutExpired:
        return "no Docker daemon is reachable (docker info timed out)"
    return None


def has_image(ref: str) -> bool:
    return _docker("image", "inspect", ref, timeout=60).returncode == 0


def choose_base(name: str, mode: str) -> str | None:
    dockerfile, _, _, stand_in = IMAGES[name]
    pinned = pinned_base(dockerfile)
    if mode in ("auto", "pinned"):
        if has_image(pinned):
            return pinned
        try:
            if _docker("pull", pinned, timeout=300).returncode == 0:
                return pinned
        except subprocess.TimeoutExpired:
            pass
        if mode == "pinned":
            return None
    return stand_in if has_image(stand_in) else None


def prepare_wheels() -> None:
    """The files the Dockerfile installs from an index, fetched by this machine's pip (works offline from
    pip's cache): exactly those of requirements/destination.lock and requirements/build.lock, each checked
    against its hash here and again in the image (our own two distributions are built there from source)."""
    shutil.rmtree(WHEELS, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes", "--dest", str(WHEELS),
         "-r", str(ROOT / "requirements" / "destination.lock"), "-r", str(ROOT / "requirements" / "build.lock")],
        check=True,
    )


def prepare_receiver_wheels() -> None:
    """sense-writeback's wheels: the third-party ones at the versions of requirements/receiver.lock, each
    checked against its hash (no extras, so no Airbyte CDK), the lock itself (the image installs from it with
    --require-hashes), and the receiver's and the contract's own wheels, built by this machine's pip."""
    shutil.rmtree(RECEIVER_WHEELS, ignore_errors=True)
    lock = ROOT / "requirements" / "receiver.lock"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes", "--only-binary", ":all:",
         "--dest", str(RECEIVER_WHEELS), "-r", str(lock)],
        check=True,
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(RECEIVER_WHEELS),
         str(ROOT / "sense-api"), str(ROOT / "sense-writeback")],
        check=True,
    )
    shutil.copy(lock, RECEIVER_WHEELS / "receiver.lock")


def build(name: str, base: str) -> str:
    dockerfile, context, tag, stand_in = IMAGES[name]
    args = ["build", "-q", "-t", tag, "-f", str(dockerfile), "--build-arg", f"BASE_IMAGE={base}"]
    if name == "destination-sense":
        args += ["--build-arg", "PIP_INSTALL_ARGS=--no-index --find-links .image-wheels"]
    if name == "sense-writeback" and base == stand_in:
        args += ["--build-arg", f"BUILD_IMAGE={RECEIVER_BUILD_STAND_IN}"]
    result = _docker(*args, str(context), timeout=1800)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"building {tag} failed")
    return tag


def image_size(tag: str) -> int:
    return int(_docker("image", "inspect", "-f", "{{.Size}}", tag).stdout.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", choices=("auto", "pinned", "stand-in"), default="auto")
    parser.add_argument("images", nargs="*", metavar="IMAGE", help=f"which images to build (default: all of {', '.join(IMAGES)})")
    args = parser.parse_args(argv)
    unknown = [name for name in args.images if name not in IMAGES]
    if unknown:
        parser.error(f"unknown image {', '.join(unknown)}; choose from {', '.join(IMAGES)}")
    args.images = args.images or list(IMAGES)
    problem = docker_problem()
    if problem:
        print(f"cannot build images: {problem}", file=sys.stderr)
        return UNAVAILABLE
    bases = {name: choose_base(name, args.base) for name in args.images}
    missing = [name for name, base in bases.items() if base is None]
    if missing:
        why = {
            "auto": "the pinned base cannot be pulled and no stand-in exists; make one with scripts/build_stand_in_base.sh",
            "pinned": "the pinned base cannot be pulled",
            "stand-in": "no stand-in exists; make one with scripts/build_stand_in_base.sh",
        }[args.base]
        print(f"cannot build {', '.join(missing)}: no base image ({why})", file=sys.stderr)
        return UNAVAILABLE
    if "destination-sense" in bases:
        prepare_wheels()
    if "sense-writeback" in bases:
        prepare_receiver_wheels()
    for name, base in bases.items():
        tag = build(name, base)
        print(f"{tag}  {image_size(tag) / 1e6:.0f} MB  (base {base})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
