#!/usr/bin/env python3
"""How big the connector images are and how fast the destination image answers ``spec``. Prints numbers only.

    python bench/image_spec.py            # after `make image`; needs a Docker daemon

For each image: its size. For airbyte/destination-sense:dev: ``spec`` timed inside the container (the
command alone, what the platform's launcher waits for once the container runs; median of 5) and the
whole ``docker run --rm IMAGE spec`` round trip (container start and removal included; median of 5).
Not a test: no thresholds.
"""
from __future__ import annotations

import statistics
import subprocess
import time

DESTINATION = "airbyte/destination-sense:dev"
SOURCE = "airbyte/source-ats:dev"
RUNS = 5
IN_CONTAINER = (
    "import subprocess, time\n"
    "t = time.perf_counter(); subprocess.run(['destination-sense', 'spec'], stdout=subprocess.DEVNULL, check=True)\n"
    "print(time.perf_counter() - t)\n"
)


def size_mb(image: str) -> float:
    out = subprocess.run(["docker", "image", "inspect", "-f", "{{.Size}}", image], capture_output=True, text=True, check=True)
    return int(out.stdout) / 1e6


def main() -> None:
    for image in (DESTINATION, SOURCE):
        print(f"{image}: {size_mb(image):.0f} MB")
    inside = []
    for _ in range(RUNS):
        out = subprocess.run(["docker", "run", "--rm", "--entrypoint", "python", DESTINATION, "-c", IN_CONTAINER],
                             capture_output=True, text=True, check=True)
        inside.append(float(out.stdout.strip()))
    round_trip = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(["docker", "run", "--rm", DESTINATION, "spec"], capture_output=True, check=True)
        round_trip.append(time.perf_counter() - started)
    print(f"{DESTINATION} spec inside the container: median {statistics.median(inside):.3f} s (min {min(inside):.3f}, max {max(inside):.3f})")
    print(f"{DESTINATION} docker run --rm ... spec: median {statistics.median(round_trip):.3f} s (min {min(round_trip):.3f}, max {max(round_trip):.3f})")


if __name__ == "__main__":
    main()
