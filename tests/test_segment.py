"""Execution segments: the split rules, and that the union of the segments is the one-process run."""

import argparse
import itertools
import random
import time

import pytest

from fth.config.model import HttpJobConfig, Ramp, RampStage, Segment, SourceConfig, StopCondition
from fth.engine.pacing import Schedule
from fth.engine.source import FileSource
from fth.segment import parse_segment, share, split_job
from fth.startat import parse_start_at
from tests.fixtures.files import make_files


def _job(**settings):
    base = {"name": "orders", "protocol": "http", "username": "u", "source": SourceConfig(path="."), "rate": 200.0,
            "mode": "fire"}
    base.update(settings)
    return HttpJobConfig(**base)


def _times(schedule, until):
    times = []
    while True:
        t = schedule.take(times[-1] if times else 0.0)
        if t is None or t >= until:
            return times
        times.append(t)


@pytest.mark.parametrize("text, expected", [("0/1", Segment(0, 1)), (" 2/3 ", Segment(2, 3)), ("0/16", Segment(0, 16))])
def test_segment_parses_index_over_count(text, expected):
    assert parse_segment(text) == expected


@pytest.mark.parametrize("text", ["3/3", "-1/2", "1", "a/b", "1/0", "1/2/3", ""])
def test_segment_out_of_range_or_malformed_is_a_usage_error(text):
    with pytest.raises(argparse.ArgumentTypeError, match="expected I/N"):
        parse_segment(text)


def test_counts_split_exactly():
    assert [share(10, Segment(i, 3)) for i in range(3)] == [4, 3, 3]
    assert [share(1, Segment(i, 4)) for i in range(4)] == [1, 0, 0, 0]
    for total, n in itertools.product(range(30), range(1, 7)):
        assert sum(share(total, Segment(i, n)) for i in range(n)) == total


def test_split_job_shares_rate_ramp_count_workers_cap_and_stop_conditions():
    job = _job(rate=90.0, count=10, workers=5, max_in_flight=2,
               ramp=Ramp(start=30.0, stages=(RampStage(90.0, 60.0),)),
               stop_on=[StopCondition("failure_rate", 0.05, 60.0, min_count=10)])
    parts = [split_job(job, Segment(i, 3)) for i in range(3)]
    assert [p.rate for p in parts] == [30.0] * 3
    assert [p.ramp.rate_at(30.0) for p in parts] == [20.0] * 3
    assert [p.count for p in parts] == [4, 3, 3]
    assert [p.workers for p in parts] == [2, 2, 1]
    assert [p.max_in_flight for p in parts] == [1, 1, 1]  # at least one each, so every segment can send
    assert [p.stop_on[0].min_count for p in parts] == [4, 3, 3]
    assert [p.stop_on[0].threshold for p in parts] == [0.05] * 3
    assert split_job(job, Segment(0, 1)) is job


@pytest.mark.parametrize("n", [2, 3, 5])
def test_even_segments_together_are_the_one_process_schedule(n):
    whole = _times(Schedule(split_job(_job(), Segment(0, n)), rng=random.Random(1)), 2.0)
    union = sorted(t for i in range(n)
                   for t in _times(Schedule(split_job(_job(), Segment(i, n)), rng=random.Random(i)), 2.0))
    assert len(union) in (399, 400)
    gaps = [b - a for a, b in zip(union, union[1:])]
    assert min(gaps) == pytest.approx(0.005, abs=1e-9) and max(gaps) == pytest.approx(0.005, abs=1e-9)
    assert whole[0] == union[0]  # segment 0 starts at the one-process phase


def test_poisson_segments_stay_independent_at_the_total_rate():
    union = sorted(t for i in range(4)
                   for t in _times(Schedule(split_job(_job(spacing="poisson"), Segment(i, 4))), 50.0))
    assert 10_000 * 0.95 < len(union) < 10_000 * 1.05
    firsts = [Schedule(split_job(_job(spacing="poisson"), Segment(i, 4))).take(0.0) for i in range(4)]
    assert len(set(firsts)) == 4


def test_sequential_source_segments_take_every_nth_file(tmp_path):
    make_files(tmp_path, 5)
    config = SourceConfig(path=str(tmp_path), loop=False)
    names = [[p[-8:-4] for p in FileSource(config, "j", Segment(i, 2))] for i in range(2)]
    assert names == [["0000", "0002", "0004"], ["0001", "0003"]]
    looping = SourceConfig(path=str(tmp_path))
    first = list(itertools.islice(FileSource(looping, "j", Segment(1, 3)), 4))
    assert [p[-8:-4] for p in first] == ["0001", "0004", "0002", "0000"]


@pytest.mark.parametrize("text, epoch", [("1796119200", 1796119200.0), ("2026-12-01T10:00:00Z", 1796119200.0),
                                         ("2026-12-01 11:00:00+01:00", 1796119200.0), ("1796119200.5", 1796119200.5)])
def test_start_at_reads_iso_8601_and_epoch_seconds(text, epoch):
    assert parse_start_at(text, now=1796119000.0) == epoch


@pytest.mark.parametrize("text, message", [
    ("tomorrow-ish", "is not a time"), ("inf", "is not a time"), ("nan", "is not a time"), ("1e400", "is not a time"),
    ("0", "ago: every segment would start with that much of its schedule overdue"),
    ("2026-11-30T09:59:59Z", "is 1d1s ago"),
    ("1e12", "is more than a year ahead"),
])
def test_start_at_rejects_other_text_and_instants_far_from_now(text, message):
    with pytest.raises(ValueError, match=message):
        parse_start_at(text, now=1796119200.0)  # 2026-12-01T10:00:00Z
    assert parse_start_at("2026-11-30T10:00:01Z", now=1796119200.0) == 1796119200.0 - 86399


def test_segment_from_the_environment_shows_in_the_plan(fth_cli, write_config, source_dir, monkeypatch):
    config = write_config({"jobs": [{"name": "orders", "protocol": "http", "username": "u", "source": str(source_dir),
                                     "rate": "100/s", "url": "http://127.0.0.1:9/"}]})
    monkeypatch.setenv("FTH_SEGMENT", "1/4")
    out = fth_cli("-c", config, "--check").stdout
    assert "segment 1/4 of the run" in out and "25.0/s" in out
    assert "expected I/N" in fth_cli("-c", config, "--check", "--segment", "4/4", expect=2).stderr


def test_a_start_so_long_ago_that_the_run_is_over_is_refused(fth_cli, write_config, source_dir):
    """A minute ago with 3 s to run: the wait job sent nothing and the fire job its whole schedule at once, each
    about a minute late, exit 0."""
    config = write_config({"jobs": [{"name": "orders", "protocol": "http", "username": "u", "source": str(source_dir),
                                     "rate": "5/s", "url": "http://127.0.0.1:9/"}]})
    result = fth_cli("-c", config, "--start-at", time.time() - 60, "--duration", "3s", expect=2)
    assert "--start-at was 1m" in result.stderr
    assert "the run lasts 3s: it would be over before it started" in result.stderr
    fth_cli("-c", config, "--start-at", time.time() - 2, "--duration", "60s", "--check")  # still running: accepted
