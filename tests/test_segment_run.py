"""Segments started together against a loopback sink, their documents merged by ``fth merge -``.

The sink runs in this process on gevent; the segments are real ``python -m fth`` processes,
started with gevent's subprocess so the sink keeps answering while we wait for them.
"""

import json
import math
import signal
import subprocess
import sys
import time

from tests.fixtures.cli import http_job


def phase_offset(received, period=0.01):
    """How far (s) segment 1's arrivals lag segment 0's, modulo the segments' interval ``period``.

    With a sequential source of 10 files, segment 0 of 2 sends the even files and segment 1 the
    odd ones, so the file name tells the segments apart. Each segment's phase is the circular mean
    of its arrival times modulo ``period``: robust to a busy machine delaying some sends. Segments
    interleaved at 200/s in total lag by half the period (5 ms); segments firing together by ~0.
    """
    def mean_phase(times):
        angles = [2 * math.pi * (t % period) / period for t in times]
        return math.atan2(sum(map(math.sin, angles)), sum(map(math.cos, angles))) / (2 * math.pi) * period

    by_segment = [[r.at for r in received if int(r.headers["X-Filename"][-8:-4]) % 2 == i] for i in (0, 1)]
    return (mean_phase(by_segment[1]) - mean_phase(by_segment[0])) % period


def segment_job(write_config, server, source_dir):
    return write_config({"jobs": [http_job("orders", server.url, source_dir, rate="200/s", mode="fire",
                                           max_in_flight=1000, client="fast",
                                           headers={"X-Transaction-ID": "{uuid}", "X-Filename": "{filename}",
                                                    "X-Seq": "{seq}"})]})


def fth_process(*args):
    return subprocess.Popen([sys.executable, "-m", "fth", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_segments_interleave_evenly_and_merge_to_what_the_sink_received(write_config, http_server, source_dir,
                                                                               tmp_path):
    config = segment_job(write_config, http_server, source_dir)
    start_at = time.time() + 8  # both processes ready before it, even on a loaded machine: late ones catch up in step
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
    seqs = [request.headers["X-Seq"] for request in received]
    assert len(set(seqs)) == len(seqs)  # {seq} too: I+1, I+1+N, … in segment I/N
    assert 0.0035 < phase_offset(received) < 0.0065  # 5 ms: evenly spaced across the segments
    assert sum(row["attempted"] for row in total["jobs"][0]["timeline"]) == len(received)


def test_start_at_counts_down_and_is_the_schedule_origin(fth_cli, write_config, http_server, source_dir, tmp_path):
    config = segment_job(write_config, http_server, source_dir)
    start_at = round(time.time()) + 3
    result = fth_cli("-c", config, "--start-at", start_at, "--duration", "1s", "--summary-json", tmp_path / "s.json")
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["mergeable"]["origin"] == start_at
    assert "starting in" in result.stderr
    assert min(request.at for request in http_server.requests) >= start_at


def test_sigterm_during_the_countdown_ends_the_run_before_it_sends(write_config, http_server, source_dir, tmp_path):
    config = segment_job(write_config, http_server, source_dir)
    process = fth_process("-c", config, "--start-at", time.time() + 60, "--summary-json", tmp_path / "s.json")
    while "starting in" not in process.stderr.readline():
        pass
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["stop_reason"] == "SIGTERM received" and summary["total"]["attempted"] == 0
    assert 0 <= summary["duration_s"] < 5 and http_server.requests == []
