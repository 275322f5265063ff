"""The Recorder: every outcome counted once, latency from the intended time (coordinated omission)."""

import json
import logging

import pytest

from fth.config.model import HttpJobConfig, SourceConfig
from fth.engine.recorder import LATE_AFTER, JobState, Recorder
from fth.engine.transferlog import TransferLog
from fth.protocols.base import TransferRequest, TransferResult
from fth.templates import TransferContext


def _state(**settings) -> JobState:
    job = {"name": "j", "protocol": "http", "username": "u", "source": SourceConfig(path="."), "rate": 10.0,
           "max_in_flight": 7}
    job.update(settings)
    return JobState.create(HttpJobConfig(**job), window_seconds=60, interval=10.0)


def _request(seq: int = 1) -> TransferRequest:
    return TransferRequest(path=f"/data/f{seq}.bin",
                           context=TransferContext(uuid=f"uuid-{seq}", filename=f"f{seq}.bin", job="j",
                                                   username="u", seq=seq))


def test_latency_runs_from_the_intended_time_service_from_the_actual_start():
    state = _state()
    # intended at 2.0 s, started 0.5 s late (the sender was busy), answered 0.25 s later
    Recorder().record(state, 2.0, 2.5, 2.75, _request(), TransferResult(ok=True, bytes_sent=100))
    stats = state.stats
    assert stats.latency.count == stats.service.count == stats.lateness.count == 1
    assert stats.latency.max == pytest.approx(0.75)  # end − intended
    assert stats.service.max == pytest.approx(0.25)  # end − start
    assert stats.lateness.max == pytest.approx(0.5)  # start − intended
    assert stats.late == 1
    assert (stats.first_start, stats.last_end) == (2.5, 2.75)
    assert (stats.attempted, stats.succeeded, stats.failed, stats.bytes) == (1, 1, 0, 100)
    window = state.recent.total(2.75, 5)
    assert window.latency.max == pytest.approx(0.75) and window.bytes == 100
    assert state.timeline.slots[0].latency.max == pytest.approx(0.75)


def test_a_send_on_time_or_early_has_no_lateness_and_is_not_late():
    state = _state()
    recorder = Recorder()
    recorder.record(state, 1.0, 1.0, 1.2, _request(1), TransferResult(ok=True))
    recorder.record(state, 3.0, 2.9, 3.1, _request(2), TransferResult(ok=True))  # started early: lateness 0
    recorder.record(state, 0.0, LATE_AFTER, 0.5, _request(3), TransferResult(ok=True))  # exactly at the limit
    recorder.record(state, 7.0, 7.0 + 2 * LATE_AFTER, 7.5, _request(4), TransferResult(ok=True))
    stats = state.stats
    assert stats.late == 1
    assert stats.lateness.min == 0.0 and stats.lateness.max == pytest.approx(2 * LATE_AFTER)
    assert stats.latency.min == pytest.approx(0.1)  # 3.1 − 3.0, not 3.1 − 2.9
    assert stats.service.max == pytest.approx(0.5 - LATE_AFTER)
    assert (stats.first_start, stats.last_end) == (1.0, 7.5)


def test_failures_count_by_kind_and_only_the_first_of_each_kind_is_a_warning(caplog):
    state = _state()
    recorder = Recorder()
    with caplog.at_level(logging.DEBUG, logger="fth.engine.recorder"):
        for seq in range(3):
            recorder.record(state, seq, seq, seq + 0.1, _request(seq),
                            TransferResult(ok=False, fault="refused", detail=f"attempt {seq}", bytes_sent=9))
        recorder.record(state, 4, 4, 4.1, _request(4), TransferResult(ok=False, detail="no kind"))
    stats = state.stats
    assert (stats.attempted, stats.succeeded, stats.failed, stats.bytes) == (4, 0, 4, 0)
    assert stats.errors == {"refused": 3, "unexpected": 1}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert warnings[0] == ("job j: refused: attempt 0 (hint: nothing listens there: check the host and port, and "
                           "that the service is up; further refused faults of this job are logged at -v)")
    assert warnings[1].startswith("job j: unexpected: no kind")
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert debug == ["job j: refused: attempt 1", "job j: refused: attempt 2"]
    assert state.recent.total(5, 10).failed == 4


def test_counts_add_up_over_transfers():
    state = _state()
    assert state.stats.name == "j" and state.stats.protocol == "http" and state.stats.mode == "wait"
    assert state.recent.seconds == 60 and state.timeline.width == 10.0
    recorder = Recorder()
    recorder.record(state, 0.0, 0.5, 1.0, _request(1), TransferResult(ok=True, bytes_sent=100))
    recorder.record(state, 1.0, 1.5, 2.0, _request(2), TransferResult(ok=True, bytes_sent=20))
    recorder.record(state, 2.0, 2.5, 3.0, _request(3), TransferResult(ok=False, fault="reset", bytes_sent=7))
    stats = state.stats
    assert (stats.attempted, stats.succeeded, stats.failed, stats.late, stats.bytes) == (3, 2, 1, 3, 120)
    (slot,) = state.timeline.slots
    assert (slot.attempted, slot.succeeded, slot.failed, slot.bytes) == (3, 2, 1, 120)
    window = state.recent.total(3.0, 10)
    assert (window.attempted, window.succeeded, window.failed, window.bytes) == (3, 2, 1, 120)


def test_phases_get_a_histogram_each():
    state = _state()
    recorder = Recorder()
    recorder.record(state, 0, 0, 1, _request(1), TransferResult(ok=True, phases={"connect": 0.2, "transfer": 0.7}))
    recorder.record(state, 1, 1, 2, _request(2), TransferResult(ok=True, phases={"connect": 0.4}))
    phases = state.stats.phases
    assert set(phases) == {"connect", "transfer"}
    assert (phases["connect"].count, phases["connect"].min, phases["connect"].max) == (2, 0.2, 0.4)
    assert phases["transfer"].count == 1 and type(phases["transfer"]) is type(state.stats.latency)


def test_not_sent_is_attempted_never_failed_in_the_window_and_the_timeline_and_warned_once(caplog):
    state = _state()
    recorder = Recorder()
    with caplog.at_level(logging.WARNING, logger="fth.engine.recorder"):
        recorder.record_not_sent(state, 1.5)
        recorder.record_not_sent(state, 12.5)
    stats = state.stats
    assert (stats.attempted, stats.not_sent, stats.succeeded, stats.latency.count) == (2, 2, 0, 0)
    window = state.recent.total(13, 20)
    assert (window.attempted, window.not_sent, window.failed) == (2, 2, 0)
    assert [(slot.not_sent, slot.failed) for slot in state.timeline.slots] == [(1, 0), (1, 0)]
    assert [record.getMessage() for record in caplog.records] == [
        "job j: 7 transfers in flight, the cap; sends are dropped and counted as not sent "
        "(fire mode reached max_in_flight: raise it or lower the rate)"]


def test_transfer_log_gets_one_line_with_the_latency_from_the_intended_time(tmp_path):
    path = tmp_path / "t.jsonl"
    transfer_log = TransferLog(str(path))
    state = _state()
    Recorder(transfer_log).record(state, 1.0, 1.5, 1.75, _request(3),
                                  TransferResult(ok=True, bytes_sent=5, remote_name="r3"))
    transfer_log.close()
    (line,) = [json.loads(text) for text in path.read_text().splitlines()]
    assert line["latency_ms"] == 750.0 and line["uuid"] == "uuid-3" and line["outcome"] == "ok"
    assert line["remote_name"] == "r3" and line["bytes"] == 5


def test_the_recent_window_tells_not_sent_and_harness_faults_apart():
    state = _state()
    recorder = Recorder()
    recorder.record_not_sent(state, 1.0)
    recorder.record(state, 1.0, 1.0, 1.5, _request(1), TransferResult(ok=False, fault="local_file", detail="gone"))
    recorder.record(state, 1.0, 1.0, 1.5, _request(2), TransferResult(ok=False, fault="refused", detail="no"))
    window = state.recent.total(2.0, 5)
    assert (window.attempted, window.failed, window.not_sent, window.harness) == (3, 2, 1, 1)
