"""The operator console in a real browser (headless Chromium from Debian, driven by Selenium) against a
real ``sense-writeback serve``, a real forwarder run and the Bullhorn emulator: login and logout,
refusals, the list and each filter, a detail page, replay of a parked write-back (the note appears in
the emulator), hostile content shown as text with no script run, CSRF, the health charts' totals,
sync runs and their rejected records, a phone-sized screen. Screenshots go to a temporary directory."""
from __future__ import annotations

import collections
import copy
import gzip
import json
import time
from pathlib import Path

import pytest
import requests

from sense_testing.console_fixtures import browser_missing, login, navigating, start_browser, write_run
from sense_testing.fixtures_bullhorn import EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET
from sense_testing.forwarder_harness import notes, run_forward, writebacks
from sense_testing.writeback_receiver import sample_writeback, start_receiver

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")

ADMIN = "admin-token-console-0123456789"
SENSE = "sense-token-console-0123456789"
HOSTILE_ID = 'hostile-<img src=x onerror="window.__pwned=4">'
HOSTILE_SUMMARY = "<script>window.__pwned=1</script> replied"
HOSTILE_SMS = '<img src=x onerror="window.__pwned=2">'
HOSTILE_LINK = "javascript:window.__pwned=3"
HOSTILE_RECORD_NAME = "<script>window.__pwned=5</script>"


class World:
    """Everything the tests share: one receiver, one emulator, one browser, the docs posted."""

    def url(self, path: str = "") -> str:
        return f"{self.receiver.base_url}/console{path}"


@pytest.fixture(scope="module")
def world(bullhorn_emulator_factory, tmp_path_factory):
    w = World()
    tmp = tmp_path_factory.mktemp("console")
    w.shots = tmp_path_factory.mktemp("console-screenshots")
    w.emulator = emulator = bullhorn_emulator_factory("--seed", "7")
    seeded = writebacks(emulator, 40, seed=5)
    messages = [d for d in seeded if d["type"] == "MESSAGING_INCOMING_MESSAGE"]
    w.target = messages[0]  # parked by a Bullhorn 400, then replayed
    hostile = copy.deepcopy(messages[1])
    hostile["id"] = HOSTILE_ID
    hostile["data"]["summary"] = HOSTILE_SUMMARY
    hostile["data"]["sms"][0]["body"] = HOSTILE_SMS
    w.hostile = hostile
    generic = [sample_writeback(f"generic-{i}") for i in range(3)]
    for i, doc in enumerate(generic):
        doc["data"]["summary"] = ["Candidate replied YES", "Interview booked", "Candidate replied NO"][i]
        doc["data"]["user_defined_data"] = {"link": HOSTILE_LINK}
    unknown = sample_writeback("unknown-1", "SOMETHING_NEW")
    newer = sample_writeback("newer-1", version=2.0)
    w.conflict = sample_writeback("conflict-1")
    changed = copy.deepcopy(w.conflict)
    changed["data"]["summary"] = "Candidate replied (edited)"
    w.docs = [w.target, *generic, unknown, newer, w.conflict, hostile]
    outcomes_root = tmp / "outcomes"
    write_run(outcomes_root, "conn-1", "20261207T100000Z", "a1b2",
              entities={"Candidate": {"sent": 40, "rejected": 2, "requests": 1, "retries": 0},
                        "JobOrder": {"sent": 7, "rejected": 0, "requests": 1, "retries": 1}},
              rejected=[{"stream": "candidates", "position": 3, "id": "31", "reasons": [
                  {"field": "email", "problem": "not an email address"}],
                         "record": {"id": "31", "first_name": HOSTILE_RECORD_NAME, "email": "nope"}},
                        {"stream": "candidates", "position": 9, "id": None, "reasons": [
                            {"field": "id", "problem": "missing"}], "record": {"first_name": "Ann"}}])
    write_run(outcomes_root, "conn-1", "20261208T080000Z", "c3d4", status="failed",
              entities={"Candidate": {"sent": 5, "rejected": 0, "requests": 1, "retries": 3}})
    w.outcomes_root = outcomes_root
    w.state_file = state_file = str(tmp / "bullhorn-state.json")
    w.refresh = refresh = emulator.new_refresh_token()
    db = str(tmp / "wb.db")
    env = {"SENSE_WRITEBACK_ADMIN_TOKENS": ADMIN, "SENSE_WRITEBACK_SYNC_OUTCOMES": str(outcomes_root),
           "SENSE_WRITEBACK_BULLHORN_CLIENT_ID": EMULATOR_CLIENT_ID,
           "SENSE_WRITEBACK_BULLHORN_CLIENT_SECRET": EMULATOR_CLIENT_SECRET,
           "SENSE_WRITEBACK_BULLHORN_REFRESH_TOKEN": refresh,
           "SENSE_WRITEBACK_BULLHORN_AUTH_URL": emulator.auth_base_url,
           "SENSE_WRITEBACK_BULLHORN_LOGIN_URL": emulator.rest_login_url,
           "SENSE_WRITEBACK_BULLHORN_STATE_FILE": state_file}
    w.receiver = receiver = start_receiver(db=db, tokens=[SENSE], env=env)
    try:
        for doc in w.docs:
            assert receiver.post(doc).status_code == 200, doc["id"]
        assert receiver.post(changed).status_code == 200  # a conflict
        assert receiver.post(w.conflict).status_code == 200  # a duplicate
        assert receiver.post(w.docs[1], token="wrong-token-0123456789").status_code == 401
        assert receiver.post(w.docs[1], token="wrong-token-0123456789", query=True).status_code == 401
        # the first note Bullhorn is asked to write is refused (400): the forwarder parks it
        requests.post(f"{emulator.base_url}/_admin/write-faults", json={"status": 400, "count": 1}, timeout=30)
        result = run_forward(emulator, db, state_file, refresh)
        assert result.returncode == 0, result.stderr
        w.driver = start_browser()
        try:
            yield w
        finally:
            w.driver.quit()
    finally:
        receiver.stop()


def ensure_login(w):
    w.driver.get(w.url("/writebacks"))
    if "/login" in w.driver.current_url:
        login(w.driver, w.receiver.base_url, ADMIN)
    assert w.driver.current_url.startswith(w.url("/writebacks"))


def listed(w):
    return [a.text for a in w.driver.find_elements("css selector", "#writebacks tbody td:first-child a")]


def shot(w, name):
    w.driver.save_screenshot(str(w.shots / f"{name}.png"))
    assert (w.shots / f"{name}.png").stat().st_size > 1000


def pwned(w):
    return w.driver.execute_script("return window.__pwned")


def replay_outcome(driver):
    """The replay job's outcome once it is no longer running (the page reloads itself; so does this)."""
    from selenium.webdriver.support.ui import WebDriverWait

    def finished(d):
        d.refresh()
        state = d.find_element("id", "replay-state")
        return state if state.get_attribute("data-state") != "running" else None

    return WebDriverWait(driver, 60, poll_frequency=0.3).until(finished)


def test_login_logout_and_refusals(world):
    d = world.driver
    d.delete_all_cookies()
    d.get(world.url("/health"))
    assert "/console/login" in d.current_url  # refused without a session
    login(d, world.receiver.base_url, SENSE)  # Sense's token opens nothing
    assert "That is not an admin token." in d.find_element("css selector", "[role=alert]").text
    assert SENSE not in d.page_source
    d.get(world.url("/health"))
    assert "/console/login" in d.current_url
    assert d.get_cookie("sense_console") is None
    login(d, world.receiver.base_url, ADMIN)
    assert d.current_url == world.url("/writebacks")
    cookie = d.get_cookie("sense_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and ADMIN not in cookie["value"]
    assert d.execute_script("return document.cookie").find("sense_console=") == -1  # not readable by script
    with navigating(d):
        d.find_element("css selector", ".logout button").click()
    assert "/console/login" in d.current_url
    d.get(world.url("/writebacks"))
    assert "/console/login" in d.current_url
    login(d, world.receiver.base_url, ADMIN)
    assert d.current_url == world.url("/writebacks")


def test_list_newest_first_and_each_filter(world):
    ensure_login(world)
    d = world.driver
    stored = [doc["id"] for doc in world.docs]
    assert listed(world) == list(reversed(stored))
    shot(world, "list")
    rows = {r.find_element("css selector", "td a").text: r for r in d.find_elements("css selector", "#writebacks tbody tr")}
    assert "forwarded as note" in rows[world.docs[1]["id"]].text or "parked" in rows[world.docs[1]["id"]].text
    assert rows[world.target["id"]].find_element("css selector", ".status").text.startswith("parked: Bullhorn refused it")
    # type, through the form
    from selenium.webdriver.support.ui import Select

    Select(d.find_element("id", "f-type")).select_by_value("SOMETHING_NEW")
    with navigating(d):
        d.find_element("css selector", ".filters button").click()
    assert listed(world) == ["unknown-1"] and "type=SOMETHING_NEW" in d.current_url
    today = time.strftime("%Y-%m-%d", time.gmtime())
    candidate = next(e["id"] for e in world.target["data"]["associated_entities"] if e["type"] == "AE_CANDIDATE")
    expectations = {
        f"from={today}&to={today}": stored[::-1],
        "from=2001-01-01&to=2001-01-02": [],
        f"entity_type=AE_CANDIDATE&entity_id={candidate}": [x["id"] for x in world.docs[::-1] if any(
            e.get("id") == candidate and e.get("type") == "AE_CANDIDATE"
            for e in x["data"].get("associated_entities", []) + [x["data"].get("subject") or {}])],
        "entity_type=AE_JOB_ORDER&entity_id=2002": [x for x in stored[::-1] if x.startswith(("generic", "unknown", "newer", "conflict"))],
        "unknown_type=1": ["unknown-1"],
        "newer_version=1": ["newer-1"],
        "conflict=1": ["conflict-1"],
        "q=replied+yes": ["generic-0"],
        "q=replied": [x["id"] for x in world.docs[::-1] if "replied" in x["data"]["summary"].lower()],
    }
    for query, expected in expectations.items():
        d.get(world.url(f"/writebacks?{query}"))
        assert listed(world) == expected, query
        assert expected or "No write-back matches." in d.page_source
    assert pwned(world) is None


def test_detail_page_and_hostile_content_is_text(world):
    ensure_login(world)
    d = world.driver
    link = next(a for a in d.find_elements("css selector", "#writebacks tbody td:first-child a") if a.text == HOSTILE_ID)
    with navigating(d):
        link.click()
    assert d.find_element("id", "sense-id").text == HOSTILE_ID
    raw = d.find_element("id", "raw").text
    assert json.loads(raw) == world.hostile  # pretty-printed, whole
    fields = d.find_element("id", "fields").text
    assert HOSTILE_SUMMARY in fields and HOSTILE_SMS in fields
    assert d.find_elements("css selector", "main img") == [] and d.find_elements("css selector", "main script") == []
    time.sleep(0.3)
    assert pwned(world) is None
    shot(world, "detail-hostile")
    # a generic one carries the javascript: value as text, never as a link
    d.get(world.url("/writebacks?q=booked"))
    with navigating(d):
        d.find_element("link text", "generic-1").click()
    assert HOSTILE_LINK in d.find_element("id", "fields").text
    assert all(not (a.get_attribute("href") or "").startswith("javascript:") for a in d.find_elements("tag name", "a"))
    assert pwned(world) is None
    # the conflict: both bodies side by side
    d.get(world.url("/writebacks?conflict=1"))
    with navigating(d):
        d.find_element("link text", "conflict-1").click()
    stored, other = [json.loads(p.text) for p in d.find_elements("css selector", ".side-by-side pre")]
    assert stored["data"]["summary"] != other["data"]["summary"] == "Candidate replied (edited)"
    shot(world, "detail")
    # times in the viewer's time zone, UTC on hover
    world.driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Tokyo"})
    d.refresh()
    when = d.find_element("css selector", "dd time")
    assert when.get_attribute("title").endswith("UTC") and "GMT+9" in when.text
    world.driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "UTC"})


def test_replay_without_csrf_is_refused(world):
    ensure_login(world)
    d = world.driver
    d.get(world.url("/parked"))
    d.execute_script("document.querySelectorAll('input[name=csrf]').forEach(function (e) { e.remove(); })")
    d.find_element("css selector", f"input[value='{1}'][name=seq]").click()
    with navigating(d):
        d.find_element("css selector", ".replay-selected").click()
    assert "CSRF token is missing or wrong" in d.find_element("css selector", "[role=alert]").text
    cookie = d.get_cookie("sense_console")["value"]
    plain = requests.post(world.url("/replay"), data={"seq": "1"}, cookies={"sense_console": cookie}, timeout=30,
                          allow_redirects=False)
    assert plain.status_code == 403
    # and a console session is no credential for the event path
    event = requests.post(world.receiver.event_url, json=world.docs[1], cookies={"sense_console": cookie}, timeout=30)
    assert event.status_code == 401
    assert all(n["externalID"] != f"sense:{world.target['id']}" for n in notes(world.emulator))  # nothing replayed


def test_replay_of_a_parked_write_back_writes_the_note(world):
    ensure_login(world)
    d = world.driver
    d.get(world.url("/parked"))
    shot(world, "parked")
    group = next(g for g in d.find_elements("css selector", "section.group") if world.target["id"] in g.text)
    assert group.find_element("tag name", "h2").text.startswith("Bullhorn refused it: HTTP 400")
    seq = next(r for r in d.find_elements("css selector", "section.group tr")
               if world.target["id"] in r.text).find_element("css selector", "input[name=seq]")
    seq.click()
    with navigating(d):
        group.find_element("css selector", ".replay-selected").click()
    state = replay_outcome(d)
    assert state.text.startswith("Done: 1 forwarded, 0 parked again, 0 missing"), state.text
    shot(world, "replay")
    made = [n for n in notes(world.emulator) if n["externalID"] == f"sense:{world.target['id']}"]
    assert len(made) == 1 and world.target["data"]["sms"][0]["body"] in made[0]["comments"]
    d.get(world.url(f"/writebacks?q={world.target['data']['summary'][:12]}"))
    with navigating(d):
        d.find_element("link text", world.target["id"]).click()
    assert d.find_element("id", "forward-status").text == f"forwarded as note {made[0]['id']}"
    d.get(world.url("/parked"))
    assert world.target["id"] not in d.find_element("id", "main").text


def test_replay_all_of_one_reason_and_one_from_its_page(world):
    ensure_login(world)
    d = world.driver
    d.get(world.url("/parked"))
    groups = {g.find_element("tag name", "h2").text.rsplit(" ", 1)[0]: g
              for g in d.find_elements("css selector", "section.group")}
    reason = next(r for r in groups if "no JobOrder with id 2002" in r)  # the cause is not fixed: parked again
    count = len(groups[reason].find_elements("css selector", "input[name=seq]"))
    assert count == sum(1 for doc in world.docs if doc["id"].startswith(("generic", "newer", "conflict")))
    with navigating(d):
        groups[reason].find_element("css selector", ".replay-reason").click()
    assert replay_outcome(d).text.startswith(f"Done: 0 forwarded, {count} parked again, 0 missing")
    d.get(world.url("/writebacks?type=SOMETHING_NEW"))
    with navigating(d):
        d.find_element("link text", "unknown-1").click()
    with navigating(d):
        d.find_element("css selector", "form.inline button").click()
    assert replay_outcome(d).text.startswith("Done: 0 forwarded, 1 parked again, 0 missing")
    d.get(world.url("/writebacks?type=SOMETHING_NEW"))
    with navigating(d):
        d.find_element("link text", "unknown-1").click()
    assert d.find_element("id", "dead-letter-attempts").text == "2"  # parked, then parked again by the replay


def test_health_charts_show_the_right_totals(world):
    ensure_login(world)
    d = world.driver
    d.get(world.url("/health"))
    shot(world, "health")
    by_type = collections.Counter(doc["type"] for doc in world.docs)
    shown = {row.get_attribute("data-type"): int(row.find_element("css selector", ".total").text)
             for row in d.find_elements("css selector", "#arrival-totals tbody tr")}
    assert shown == dict(by_type)
    chart = d.find_element("id", "arrivals-chart")
    assert int(chart.get_attribute("data-total")) == len(world.docs)
    lines = {p.get_attribute("data-type"): int(p.get_attribute("data-total"))
             for p in chart.find_elements("css selector", "polyline")}
    assert lines == dict(by_type)
    assert d.find_element("id", "arrivals-total").text == str(len(world.docs))
    failures = {c.get_attribute("data-mode"): int(c.text) for c in d.find_elements("css selector", "[data-mode]")}
    assert failures["header_token"] == 1 and failures["query_token"] == 1  # the fixture's two wrong tokens
    assert failures == {mode: int(world.receiver.metric("sense_writeback_auth_failures_total", mode=mode))
                        for mode in failures}  # and the same figures as /metrics (cookie-only posts: missing)
    assert "ready" in d.find_element("id", "storage").text and "not ready" not in d.find_element("id", "storage").text
    assert d.find_element("id", "pending").text == "0"
    assert "p50" in d.find_element("id", "latency").text and "ms" in d.find_element("id", "latency").text


def test_sync_runs_and_their_rejected_records(world):
    ensure_login(world)
    d = world.driver
    d.get(world.url("/syncs"))
    shot(world, "syncs")
    runs = d.find_elements("css selector", "#runs tbody tr")
    assert [r.get_attribute("data-run") for r in runs] == ["20261208T080000Z-c3d4", "20261207T100000Z-a1b2"]
    assert "failed" in runs[0].text and "Candidate 40 / 2" in runs[1].text and "JobOrder 7 / 0" in runs[1].text
    with navigating(d):
        runs[1].find_element("tag name", "a").click()
    assert "Candidate" in d.find_element("id", "entities").text
    with navigating(d):
        d.find_element("link text", "open").click()
    table = d.find_element("id", "rejected").text
    assert "email: not an email address" in table and "id: missing" in table and HOSTILE_RECORD_NAME in table
    assert pwned(world) is None
    href = d.find_element("partial link text", "Download").get_attribute("href")
    cookie = d.get_cookie("sense_console")["value"]
    answer = requests.get(href, cookies={"sense_console": cookie}, timeout=30)
    expected = (Path(world.outcomes_root) / "conn-1" / "20261207T100000Z-a1b2" / "rejected" / "candidates" / "part-00001.jsonl.gz")
    assert answer.status_code == 200 and answer.content == expected.read_bytes()
    assert answer.headers["content-disposition"] == \
        'attachment; filename="conn-1-20261207T100000Z-a1b2-rejected_candidates_part-00001.jsonl.gz"'
    assert [json.loads(x)["position"] for x in gzip.decompress(answer.content).splitlines()] == [3, 9]
    assert requests.get(href).status_code == 200 and "login" in requests.get(href).url  # no session: the login page


def test_phone_sized_screen_and_keyboard(world):
    ensure_login(world)
    d = world.driver
    d.set_window_size(390, 844)
    try:
        for path in ("/writebacks", "/parked", "/health", "/syncs"):
            d.get(world.url(path))
            assert d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"), path
        shot(world, "list-phone")
    finally:
        d.set_window_size(1280, 1000)
    from selenium.webdriver.common.keys import Keys

    d.get(world.url("/writebacks"))
    body = d.find_element("tag name", "body")
    body.send_keys(Keys.TAB)
    assert d.switch_to.active_element.text == "Skip to content"
    d.switch_to.active_element.send_keys(Keys.TAB)
    assert d.switch_to.active_element.text == "Write-backs"
    d.switch_to.active_element.send_keys(Keys.TAB)
    with navigating(d):
        d.switch_to.active_element.send_keys(Keys.ENTER)
    assert d.current_url == world.url("/parked")


def test_no_secret_on_any_page(world):
    ensure_login(world)
    d = world.driver
    secrets = [ADMIN, SENSE, EMULATOR_CLIENT_SECRET, world.refresh]
    state = Path(world.state_file)  # the rotated refresh token the forwarder and the replays use
    if state.exists():
        secrets.append(json.loads(state.read_text())["refresh_token"])
    for path in ("/writebacks", "/writebacks/1", "/parked", "/health", "/syncs", "/syncs/conn-1/20261207T100000Z-a1",
                 "/login"):
        d.get(world.url(path))
        for secret in secrets:
            assert secret not in d.page_source, path

