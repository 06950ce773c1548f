"""``python -m sense_writeback.healthcheck``: the image's HEALTHCHECK (exit 0 when ``/healthz`` answers 200).

Asks the receiver on 127.0.0.1 at ``$SENSE_WRITEBACK_PORT`` (default 8088); standard library only, so
that a probe every few seconds costs little.
"""
from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    port = os.environ.get("SENSE_WRITEBACK_PORT") or "8088"
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
