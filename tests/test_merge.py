"""fth merge: hand-built segment documents add up exactly; documents that do not belong together are refused."""

import io
import json

import pytest

from fth.merge import merge_documents
from fth.parts import JobPart, RunParts
from fth.stats import JobStats, Timeline
from fth.summary import summary_document

ORIGIN = 1_796_119_200.0


def segment_document(index, count, latencies, *, origin=ORIGIN, job_hash="abc", failures=0, name="orders",
                     finished=True):
    """The summary document of one segment that saw ``latencies`` (seconds), each ending at its own value."""
    stats = JobStats(name=name, protocol="http", mode="fire")
    timeline = Timeline(width=10.0)
    for at, latency in enumerate(latencies):
        stats.attempted += 1
        stats.succeeded += 1
        stats.bytes += 1024
        for hist in (stats.latency, stats.service, stats.lateness):
            hist.record(latency)
        timeline.add(float(at), True, 1024, latency)
    for at in range(failures):
        stats.attempted += 1
        stats.failed += 1
        stats.errors["refused"] += 1
        timeline.add(float(at), False, 0, None)
    parts = RunParts(origin=origin, elapsed_s=len(latencies), finished=finished, segment_count=count,
                     segments=[index], job_file_sha256=job_hash, stop_reasons=["duration reached"])
    parts.jobs[name] = JobPart(stats, "alice", timeline, target_sends=len(latencies) + failures,
                               active_s=float(len(latencies)))
    return json.loads(json.dumps(summary_document(parts)))  # as read back from a file


def test_merged_counts_and_percentiles_equal_one_process_that_saw_everything():
    fast, slow = [0.001 * (1 + i % 7) for i in range(60)], [0.1 + 0.01 * i for i in range(40)]
    merged, warnings = merge_documents([("a", segment_document(0, 2, fast, failures=3)),
                                        ("b", segment_document(1, 2, slow, failures=2))])
    one = segment_document(0, 1, fast + slow, failures=5)
    assert warnings == []
    for key in ("attempted", "succeeded", "failed", "bytes", "errors", "latency_ms", "service_time_ms",
                "lateness_ms"):
        assert merged["total"][key] == one["total"][key], key
    assert merged["total"]["errors"] == {"refused": 5}
    assert merged["jobs"][0]["latency_ms"]["p50"] == one["jobs"][0]["latency_ms"]["p50"]
    assert merged["segment"] == "0+1/2" and merged["mergeable"]["segment"] == {"count": 2, "indexes": [0, 1]}
    assert merged["total"]["target_rate_per_s"] == pytest.approx((60 + 3 + 40 + 2) / 60, abs=1e-3)


def test_timelines_align_on_the_common_origin():
    early = segment_document(0, 2, [0.01] * 25)
    late = segment_document(1, 2, [0.01] * 25, origin=ORIGIN + 20)  # started 20 s later
    merged, _ = merge_documents([("late", late), ("early", early)])
    rows = {row["start_s"]: row["attempted"] for row in merged["jobs"][0]["timeline"]}
    assert rows == {0.0: 10, 10.0: 10, 20.0: 15, 30.0: 10, 40.0: 5}
    assert merged["started"] == early["started"] and merged["duration_s"] == 45.0


def test_merged_documents_merge_again_and_a_missing_segment_is_reported():
    pair, _ = merge_documents([("a", segment_document(0, 3, [0.01])), ("b", segment_document(2, 3, [0.02]))])
    merged, warnings = merge_documents([("pair", pair), ("c", segment_document(1, 3, [0.03]))])
    assert merged["total"]["attempted"] == 3 and warnings == []
    assert merge_documents([("pair", pair)])[1] == ["missing segment(s) 1/3: the figures cover only the segments given"]


@pytest.mark.parametrize("other, message", [
    (segment_document(1, 2, [0.01], job_hash="other"), "comes from a different job file"),
    (segment_document(0, 2, [0.01]), "segment 0/2 is in both a and b"),
    (segment_document(1, 3, [0.01]), "split in 3 segments"),
    ({"jobs": []}, "not an fth summary with mergeable figures"),
    ({"mergeable": {"format": "fth-run-parts", "version": 99}}, "this fth reads version 1"),
])
def test_documents_that_do_not_belong_together_are_refused(other, message):
    from fth.errors import UsageError

    with pytest.raises(UsageError, match=message):
        merge_documents([("a", segment_document(0, 2, [0.01])), ("b", other)])


def test_cli_reads_files_and_stdin_lines_and_writes_json_and_html(capsys, monkeypatch, tmp_path):
    from fth.main import fth_main

    first = tmp_path / "seg0.json"
    first.write_text(json.dumps(segment_document(0, 2, [0.01] * 3, name="<b>orders</b>"), indent=2))
    second = json.dumps(segment_document(1, 2, [0.02] * 4, name="<b>orders</b>"))
    monkeypatch.setattr("sys.stdin", io.StringIO("fth: a log line\n" + second + "\n"))
    status = fth_main(["merge", str(first), "-", "-o", str(tmp_path / "total.json"), "--html",
                       str(tmp_path / "total.html")])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "merged 2 document(s), segments 0+1/2" in out
    assert json.loads((tmp_path / "total.json").read_text())["total"]["attempted"] == 7
    html = (tmp_path / "total.html").read_text()
    assert "&lt;b&gt;orders&lt;/b&gt;" in html and "<b>orders" not in html


def test_cli_refusal_is_one_line_with_exit_status_2(capsys, tmp_path):
    from fth.main import fth_main

    for index in (0, 0):
        (tmp_path / f"s{index}.json").write_text(json.dumps(segment_document(index, 2, [0.01])))
    status = fth_main(["merge", str(tmp_path / "s0.json"), str(tmp_path / "s0.json"), "-o", str(tmp_path / "t.json")])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("fth merge: error: segment 0/2 is in both") and "Traceback" not in err
    assert not (tmp_path / "t.json").exists()


def test_unfinished_documents_and_stdin_without_documents(capsys, monkeypatch):
    from fth.main import fth_main

    _, warnings = merge_documents([("a", segment_document(0, 1, [0.01], finished=False))])
    assert warnings == ["a: the run had not finished (its figures so far are counted)"]
    monkeypatch.setattr("sys.stdin", io.StringIO("nothing here\n"))
    assert fth_main(["merge", "-"]) == 2
    assert "no fth summary documents on stdin" in capsys.readouterr().err


def test_an_output_that_cannot_be_written_is_one_line_and_the_old_file_stays(capsys, tmp_path):
    from fth.main import fth_main

    (tmp_path / "s0.json").write_text(json.dumps(segment_document(0, 1, [0.01])))
    html = tmp_path / "total.html"
    html.write_text("the previous report")
    blocked = tmp_path / "total.json"
    blocked.mkdir()  # renaming a file onto a directory fails, like a full disk fails the write
    status = fth_main(["merge", str(tmp_path / "s0.json"), "-o", str(blocked), "--html", str(html)])
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith(f"fth merge: error: cannot write merged output {blocked}") and "Traceback" not in err
    assert err.count("\n") == 1
    assert html.read_text() == "the previous report"
    assert {p.name for p in tmp_path.iterdir()} == {"s0.json", "total.json", "total.html"}  # no temp files left


def _damaged(**changes):
    document = segment_document(1, 2, [0.01, 0.02])
    mergeable = document["mergeable"]
    for path, value in changes.items():
        *parents, key = path.split("__")
        node = mergeable
        for parent in parents:
            node = node[parent][0] if parent == "jobs" else node[parent]
        node[key] = value
    return document


@pytest.mark.parametrize("other, message", [
    ([], "not an fth summary with mergeable figures"),
    (None, "not an fth summary with mergeable figures"),
    (_damaged(origin=None), r"damaged mergeable figures \(ValueError: origin is None, not a finite number\)"),
    (_damaged(elapsed_s="3"), "elapsed_s is '3', not a finite number"),
    (_damaged(origin=float("nan")), "origin is nan, not a finite number"),
    (_damaged(breakpoint="x"), "breakpoint is 'x', not null or a breakpoint"),
    (_damaged(stop_reasons="zz"), "stop_reasons is 'zz', not a list of texts"),
    (_damaged(jobs__target_sends="many"), "damaged mergeable figures"),
    (_damaged(jobs__active_s=None), "damaged mergeable figures"),
])
def test_a_damaged_document_is_named_and_refused_not_an_internal_error(other, message):
    from fth.errors import UsageError

    with pytest.raises(UsageError, match=message) as caught:
        merge_documents([("a", segment_document(0, 2, [0.01])), ("b", other)])
    assert str(caught.value).startswith("b")


@pytest.mark.timeout(30)  # points 0 made the merge coarsen the timeline for ever
@pytest.mark.parametrize("other, message", [
    (_damaged(jobs__timeline__points=0), "a timeline of 1 slots 10 s wide in 0 points"),
    (_damaged(jobs__timeline__width=0), "a timeline of 1 slots 0 s wide"),
    (_damaged(jobs__stats__attempted=-5), "attempted is -5, not a count"),
    (_damaged(jobs__stats__attempted=2.5), "attempted is 2.5, not a count"),
    (_damaged(jobs__stats__attempted=float("nan")), "attempted is nan, not a count"),
    (_damaged(jobs__stats__attempted=10 ** 400), "attempted is 1000000000.*, not a count"),
    (_damaged(jobs__stats__succeeded=12), r"job orders: attempted 2 is not succeeded \+ failed \+ not sent \(12\)"),
    (_damaged(jobs__stats__bytes=float("inf")), "bytes is inf, not a count"),
    (_damaged(jobs__stats__errors=[1]), "AttributeError"),
    (_damaged(jobs__stats__latency__count=1000), "a histogram of 1000 values holds 2 in its buckets"),
    (_damaged(jobs__name=5), "a job's name is 5, not a text"),
    (_damaged(segment__indexes=[7]), r"segments \[7\] of 2"),
    (_damaged(segment__indexes=[-1]), "a segment index is -1, not a count"),
    (_damaged(segment__count=2.0), "the segment count is 2.0, not a count"),
    (_damaged(origin=1e300), "origin is 1e\\+300, not a finite number"),
    (_damaged(origin=-1e12), "origin is -1e\\+12, less than 0"),
    (_damaged(finished="no"), "finished 'no'"),
    (_damaged(breakpoint={"elapsed_s": 1, "rate": "x"}), "breakpoint is .*, not null or a breakpoint"),
    (_damaged(jobs=[]), "it holds no job"),
])
def test_damaged_counts_are_refused_not_merged_into_wrong_totals(other, message):
    """Each of these merged with exit 0 before, into wrong totals, NaN in the JSON, or an internal error (one
    hung)."""
    from fth.errors import UsageError

    with pytest.raises(UsageError, match=f"damaged mergeable figures .*{message}") as caught:
        merge_documents([("a", segment_document(0, 2, [0.01])), ("b", other)])
    assert str(caught.value).startswith("b")


def test_a_file_not_utf8_or_nested_too_deeply_is_named(tmp_path):
    from fth.errors import UsageError
    from fth.merge import read_documents

    latin = tmp_path / "latin.json"
    latin.write_bytes(b"\xff\xfe{}")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    for path, message in ((latin, "not UTF-8 text"), (deep, "nested too deeply")):
        with pytest.raises(UsageError, match=message):
            read_documents([str(path)])
