"""The pair layout's pairing runs off the gevent loop: requests are answered from the last finished result
while a (deliberately blocked) computation runs, and every client shares one computation per interval."""

import functools
import multiprocessing
import os
import time
from typing import Any, Dict, List, Optional

import gevent

from fth_web.settings import WebSettings
from fth_web.sources.background import LANE_NICENESS, BackgroundSource
from fth_web.sources.base import Panels, Recent, Source
from tests.web.polling import poll_concurrently

SPAWN = multiprocessing.get_context("spawn")  # the lanes' processes are spawned
INTERVAL_S = 0.05


class GatedSource(Source):
    """Panels that say which computation made them; each waits until ``gate`` is open (in the lane's process)."""

    layout = "pair"

    def __init__(self, gate: Any, started: Any, runs: Any) -> None:
        self.gate, self.started, self.runs = gate, started, runs

    def recent(self, limit: int, username: Optional[str] = None, status: Optional[str] = None) -> Recent:
        return Recent(rows=[{"uuid": "u-1", "status": "SUCCESS", "niceness": os.nice(0)}])

    def panels(self, window_min: int) -> Panels:
        with self.runs.get_lock():
            self.runs.value += 1
            run = self.runs.value
        self.started.set()
        assert self.gate.wait(timeout=30), "the test never opened the gate"
        return Panels(window_min, [{"key": "egress", "title": "Egress", "subtitle": "", "figures": [
            {"label": "Computation", "value": run, "unit": "", "status": None, "hint": "", "decimals": 0}]}])

    def connections(self) -> List[Dict[str, Any]]:
        return []

    def usernames(self) -> List[str]:
        return []

    def report_rows(self, start, end, username):  # type: ignore[no-untyped-def]
        return iter(())


class Gated:
    """The gate, the started signal and the run counter shared with the lane's process."""

    def __init__(self) -> None:
        self.gate, self.started, self.runs = SPAWN.Event(), SPAWN.Event(), SPAWN.Value("i", 0)

    def source(self, interval_s: float) -> BackgroundSource:
        make = functools.partial(GatedSource, self.gate, self.started, self.runs)
        return BackgroundSource(make(), make, interval_s)


def computation(body: Dict[str, Any]) -> int:
    return body["stages"][0]["figures"][0]["value"]


def test_requests_are_answered_from_the_last_result_while_pairing_runs(make_app):
    gated = Gated()
    source = gated.source(INTERVAL_S)
    client = make_app(WebSettings(layout="pair", cache_s=INTERVAL_S), source=source).test_client()
    lane = source.lanes["panels"]

    gated.gate.set()
    first = client.get("/api/panels?window=10").get_json()  # nothing to show yet: waits for the first result
    assert computation(first) == 1 and first["computed_at"] and first["age_s"] >= 0
    assert lane.computations == 1

    gated.gate.clear()
    gated.started.clear()
    time.sleep(INTERVAL_S * 2)  # the result is now older than the refresh interval
    stale = client.get("/api/panels?window=10").get_json()  # starts the next computation, answered at once
    deadline = time.monotonic() + 30
    while not gated.started.is_set() and time.monotonic() < deadline:
        gevent.sleep(0.01)  # the loop runs: the lane's thread hands the work to its process
    assert gated.started.is_set(), "the recomputation did not start"
    # 50 clients while that computation is blocked: each is answered, from the last finished result;
    # several refresh intervals pass between the rounds while the computation runs
    bodies = poll_concurrently(client, ["/api/panels?window=10"] * 45 + ["/api/transactions", "/api/status"] * 2,
                               rounds=3, pause_s=INTERVAL_S * 2, timeout=10)
    assert not gated.gate.is_set() and len(bodies) == 3 * 49
    assert {computation(b) for b in [stale, *bodies] if "stages" in b} == {1}
    assert any(b.get("age_s", 0) > 0 for b in bodies if "stages" in b)  # the answer says how old it is
    assert lane.computations == 2 and gated.runs.value == 2  # one shared computation, not one per client

    gated.gate.set()
    deadline = time.monotonic() + 10
    while computation(client.get("/api/panels?window=10").get_json()) == 1 and time.monotonic() < deadline:
        gevent.sleep(0.01)
    assert computation(client.get("/api/panels?window=10").get_json()) == 2


def test_with_the_cache_off_each_request_waits_for_a_fresh_computation(make_app):
    gated = Gated()
    gated.gate.set()
    source = gated.source(0.0)
    client = make_app(WebSettings(layout="pair", cache_s=0.0), source=source).test_client()
    assert [computation(client.get("/api/panels?window=10").get_json()) for _ in range(3)] == [1, 2, 3]


def test_lanes_compute_at_a_lower_priority_than_the_server(make_app):
    gated = Gated()
    client = make_app(WebSettings(layout="pair", cache_s=60), source=gated.source(60)).test_client()
    row = client.get("/api/transactions").get_json()["rows"][0]
    assert row["niceness"] == min(19, os.nice(0) + LANE_NICENESS)  # so the loop gets the CPU first
