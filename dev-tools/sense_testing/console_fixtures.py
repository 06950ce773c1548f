"""Test support for the receiver's operator console: a headless Chromium (Debian's ``chromium`` and
``chromium-driver``, driven by Selenium), logging in, and sync-outcome runs written in the layout
destination-sense writes (CONTRACTS: ``<root>/<connection>/<start>-<run>/report.json`` and gzip JSON
Lines of rejected records).

No pytest import at module level except in the fixtures; the browser is skipped with the reason
when the Debian packages are not installed (``.ci/run`` installs them when it runs as root).
"""
from __future__ import annotations

import gzip
import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional
from urllib.parse import quote

CHROMIUM = os.environ.get("SENSE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SENSE_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 "--window-size=1280,1000")


def browser_missing() -> Optional[str]:
    """Why no browser test can run here, or None."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (os.path.exists(path) or shutil.which(path)):
            return f"{path} not found: install the Debian package {package} (apt-get install -y chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install 'sense-writeback[tests]')"
    return None


def start_browser(width: int = 1280, height: int = 1000):
    """A headless Chromium driven by Selenium through Debian's chromedriver (no download at run time)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


@contextmanager
def navigating(driver, timeout: float = 30.0):
    """Wait, after the block (a click or submit), until the browser has left the current page."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element("tag name", "html")
    yield
    WebDriverWait(driver, timeout).until(expected_conditions.staleness_of(page))


def login(driver, base_url: str, token: str, path: str = "/console") -> None:
    """Log in through the console's form (the page after login is the write-back list)."""
    driver.get(f"{base_url}{path}/login")
    field = driver.find_element("id", "token")
    field.send_keys(token)
    with navigating(driver):
        field.submit()


def write_run(root: Path, connection_id: str, start: str, run_id: str, *, status: str = "succeeded",
              entities: Optional[Dict[str, Dict[str, int]]] = None, rejected: Iterable[Dict[str, Any]] = (),
              write_report: bool = True) -> Path:
    """One sync run as destination-sense writes it: ``report.json`` and ``rejected/<stream>.jsonl.gz``.

    ``start`` is ``YYYYMMDDTHHMMSSZ``; ``rejected`` the rejected lines (``stream``, ``position``, ``id``,
    ``reasons``, ``record``), stored as ``rejected/<stream, percent-encoded>/part-00001.jsonl.gz``."""
    run_dir = root / connection_id / f"{start}-{run_id}"
    (run_dir / "rejected").mkdir(parents=True, exist_ok=True)
    by_stream: Dict[str, List[Dict[str, Any]]] = {}
    for line in rejected:
        by_stream.setdefault(line["stream"], []).append(line)
    files = []
    streams = {}
    for stream, lines in by_stream.items():
        key = f"rejected/{quote(stream, safe='-_.')}/part-00001.jsonl.gz"  # as destination-sense names its parts
        (run_dir / key).parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(run_dir / key, "wt", encoding="utf-8") as handle:
            for line in lines:
                handle.write(json.dumps(line) + "\n")
        files.append({"stream": stream, "key": key, "records": len(lines)})
        reasons: Dict[str, int] = {}
        for line in lines:
            for reason in line["reasons"]:
                text = f"{reason['field']}: {reason['problem']}"
                reasons[text] = reasons.get(text, 0) + 1
        streams[stream] = {"received": len(lines) + 10, "sent": 10, "rejected": len(lines),
                           "top_reasons": [{"reason": r, "count": c} for r, c in sorted(reasons.items())][:3]}
    started = f"{start[0:4]}-{start[4:6]}-{start[6:8]}T{start[9:11]}:{start[11:13]}:{start[13:15]}Z"
    report = {
        "report_version": 1, "connection_id": connection_id, "run_id": run_id,
        "run_path": f"{connection_id}/{start}-{run_id}", "started_at": started, "ended_at": started,
        "status": status,
        "failure": None if status != "failed" else {"message": "Sense answered 503", "failure_type": "transient_error"},
        "streams": streams, "entities": entities or {}, "states_committed": 3,
        "versions": {"airbyte-destination-sense": "0.3.0", "sense-api": "0.1.0"},
        "files": {"rejected": files, "results": []},
    }
    if write_report:
        (run_dir / "report.json").write_text(json.dumps(report), encoding="utf-8")
    return run_dir
