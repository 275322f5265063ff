"""Segments started together against a loopback sink, their documents merged by ``fth merge -``.

The sink runs in this process on gevent; the segments are real ``python -m fth`` processes,
started with gevent's subprocess so the sink keeps answering while we wait for them.
"""

import json
import statistics
import subprocess
import sys
import time

from tests.fixtures.cli import http_job

RATE = 200  # files/s in total: one send every 5 ms across the segments


def even_spacing(arrivals, rate):
    """(median gap, share of gaps under a fifth of the interval) of the sorted arrival times."""
    times = sorted(arrivals)
    gaps = [b - a for a, b in zip(times, times[1:])]
    return statistics.median(gaps), sum(gap < 0.2 / rate for gap in gaps) / len(gaps)


def segment_job(write_config, server, source_dir):
    return write_config({"jobs": [http_job("orders", server.url, source_dir, rate=f"{RATE}/s", mode="fire",
                                           client="fast", headers={"X-Transaction-ID": "{uuid}"})]})


def fth_process(*args):
    return subprocess.Popen([sys.executable, "-m", "fth", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_segments_interleave_evenly_and_merge_to_what_the_sink_received(write_config, http_server, source_dir,
                                                                               tmp_path):
    config = segment_job(write_config, http_server, source_dir)
    start_at = time.time() + 4
    processes = [fth_process("-c", config, "--segment", f"{i}/2", "--start-at", start_at, "--duration", "3s",
                             "--summary-json", "-", "-q") for i in range(2)]
    outputs = [process.communicate(timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    lines = [out.rstrip("\n").split("\n")[-1] for out, _ in outputs]  # the document is the last stdout line
    documents = [json.loads(line) for line in lines]
    assert [doc["segment"] for doc in documents] == ["0/2", "1/2"]
    assert documents[0]["started"] == documents[1]["started"]  # the common origin

    merge = subprocess.run([sys.executable, "-m", "fth", "merge", "-", "-o", tmp_path / "total.json", "-q"],
                           input="some pod output\n" + "\n".join(lines) + "\n", text=True, capture_output=True,
                           timeout=60)
    assert merge.returncode == 0, merge.stderr
    total = json.loads((tmp_path / "total.json").read_text())
    received = http_server.requests
    assert total["segment"] == "0+1/2"
    assert total["total"]["attempted"] == total["total"]["succeeded"] == len(received)
    assert total["total"]["attempted"] == sum(doc["total"]["attempted"] for doc in documents)
    assert 590 <= len(received) <= 600
    uuids = [request.headers["X-Transaction-Id"] for request in received]
    assert len(set(uuids)) == len(uuids)
    median_gap, close_pairs = even_spacing([request.at for request in received], RATE)
    assert 0.004 < median_gap < 0.006
    assert close_pairs < 0.1, f"{close_pairs:.0%} of consecutive arrivals less than 1 ms apart"
    assert sum(row["attempted"] for row in total["jobs"][0]["timeline"]) == len(received)


def test_start_at_counts_down_and_is_the_schedule_origin(fth_cli, write_config, http_server, source_dir, tmp_path):
    config = segment_job(write_config, http_server, source_dir)
    start_at = round(time.time()) + 3
    result = fth_cli("-c", config, "--start-at", start_at, "--duration", "1s", "--summary-json", tmp_path / "s.json")
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["mergeable"]["origin"] == start_at
    assert "starting in" in result.stderr
    assert min(request.at for request in http_server.requests) >= start_at
