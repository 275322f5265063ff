"""fth.report.pairing without a database: rules and data-quality checks."""

import datetime as dt
import weakref

import pytest

from fth.report.compute import EGRESS_ONLY, INGRESS_ONLY
from fth.report.pairing import (
    BAD_TIME,
    CLOCK_SKEW,
    DUPLICATE_UUID,
    NEGATIVE_TRANSIT,
    NULL_END,
    NULL_UUID,
    collect,
    index_rows,
    pair_rows,
)
from fth.tracking import TrackingRow
from fth.tracking.base import make_row

UTC = dt.timezone.utc


def ts(seconds):
    return dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(seconds=seconds)


def row(uuid, start, end, status="SUCCESS", user="alice"):
    return TrackingRow(uuid, user, f"{uuid}.dat", ts(start), None if end is None else ts(end), status)


def test_pairs_use_egress_status_and_end_minus_ingress_start():
    ingress = {"u1": row("u1", 0, 1, "SUCCESS"), "u2": row("u2", 5, 6, "SUCCESS")}
    egress = {"u1": row("u1", 2, 9, "FAILED"), "u2": row("u2", 6, 8, "SUCCESS")}
    result = pair_rows(ingress, egress, ["u1", "u2"])
    by_uuid = {r.uuid: r for r in result.pairs}
    assert by_uuid["u1"].transit == 9 and by_uuid["u1"].outcome == "fail"
    assert by_uuid["u1"].ingress_status == "SUCCESS" and by_uuid["u1"].status == "FAILED"
    assert by_uuid["u2"].transit == 3 and by_uuid["u2"].passed
    assert result.issues == []


def test_unpaired_rows_on_both_sides():
    ingress = {"u1": row("u1", 0, 1)}
    egress = {"u2": row("u2", 2, 3), "u3": row("u3", 2, 3)}
    result = pair_rows(ingress, egress, ["u2", "u3"], ingress_elsewhere=["u3"])
    assert [r.uuid for r in result.ingress_only] == ["u1"] and result.ingress_only[0].kind == INGRESS_ONLY
    assert [r.uuid for r in result.egress_only] == ["u2"] and result.egress_only[0].kind == EGRESS_ONLY
    assert result.partner_before_window == 1


def test_quality_checks():
    issues = []
    ingress = index_rows([row("neg", 10, 11), row("null", 0, None), row("dup", 0, 1), row("dup", 0, 1),
                      row("skew", 10, 11)], "ingress", issues)
    egress = {"neg": row("neg", 5, 8), "null": row("null", 1, None), "dup": row("dup", 1, 2),
              "skew": row("skew", 9, 20)}
    result = pair_rows(ingress, egress, [], issues)
    kinds = {(i.kind, i.uuid) for i in result.issues}
    assert (NEGATIVE_TRANSIT, "neg") in kinds and (CLOCK_SKEW, "neg") in kinds
    assert (NULL_END, "null") in kinds and (DUPLICATE_UUID, "dup") in kinds and (CLOCK_SKEW, "skew") in kinds
    assert result.issue_counts()[NULL_END] == 2  # ingress and egress endTime both NULL
    null_pair = next(r for r in result.pairs if r.uuid == "null")
    assert null_pair.transit is None


class FakeStore:
    def __init__(self, rows):
        self.rows = rows
        self.lookups = []

    def rows_in_window(self, start, end, ordered=True):  # in the order stored, as a server scanning its table
        return [r for r in self.rows if start <= r.start < end]

    def rows_by_uuid(self, uuids):
        wanted = list(uuids)
        self.lookups.append(wanted)
        found = {}
        for r in self.rows:
            if r.uuid in wanted:
                found.setdefault(r.uuid, []).append(r)
        return found


def test_collect_fetches_late_partners_by_uuid():
    ingress = FakeStore([row("in", 10, 11), row("early", -50, -40), row("lonely", 20, 21)])
    egress = FakeStore([row("in", 100, 200), row("early", 12, 13), row("ghost", 30, 31)])
    result = collect(ingress, egress, ts(0), ts(60))
    assert [r.uuid for r in result.pairs] == ["in"] and result.pairs[0].transit == 190
    assert [r.uuid for r in result.ingress_only] == ["lonely"]
    assert [r.uuid for r in result.egress_only] == ["ghost"]
    assert result.partner_before_window == 1
    assert egress.lookups == [["in", "lonely"]] and ingress.lookups == [["early", "ghost"]]


def test_negative_transit_stays_out_of_the_statistics_and_is_listed():
    from fth.report.compute import summarize

    ingress = {"ok": row("ok", 0, 1), "skew": row("skew", 10, 11)}
    egress = {"ok": row("ok", 1, 3), "skew": row("skew", 4, 7)}  # egress ends 3 s before ingress started
    result = pair_rows(ingress, egress, [])
    total = summarize(result.records).total
    assert total.files == 2 and total.passed == 2
    assert (total.transit.count, total.transit.min, total.transit.max) == (1, 3.0, 3.0)
    skew = [issue for issue in result.issues if issue.kind == NEGATIVE_TRANSIT]
    assert [issue.uuid for issue in skew] == ["skew"] and [role for role, _ in skew[0].rows] == ["ingress", "egress"]


def test_rows_without_a_uuid_never_pair():
    issues = []
    ingress = index_rows([row("", 0, 1), row("   ", 0, 1), row("u1", 0, 1)], "ingress", issues)
    egress = index_rows([row("", 1, 2), row("u1", 1, 2)], "egress", issues)
    result = pair_rows(ingress, egress, list(egress), issues)
    assert [r.uuid for r in result.pairs] == ["u1"] and not result.ingress_only and not result.egress_only
    assert result.issue_counts() == {NULL_UUID: 3}


@pytest.mark.parametrize("stored, shown", [
    ("0000-00-00 00:00:00", "'0000-00-00 00:00:00'"), ("yesterday-ish", "'yesterday-ish'"),
    (10 ** 20, "'100000000000000000000'"), (b"2026-13-45 25:00:00", "'2026-13-45 25:00:00'"),
])
def test_a_time_that_is_no_time_is_a_data_quality_issue(stored, shown):
    good_start = dt.datetime(2026, 1, 1, 10, 0)
    broken = make_row(("u1", "alice", "f", good_start, stored, "SUCCESS"), UTC)
    assert broken.end is None and broken.bad == f"endTime {shown} is not a time"
    issues = []
    ingress = index_rows([make_row(("u1", "alice", "f", good_start, good_start, "SUCCESS"), UTC)], "ingress", issues)
    result = pair_rows(ingress, index_rows([broken], "egress", issues), [], issues)
    assert result.pairs[0].passed and result.pairs[0].transit is None
    assert result.issue_counts() == {BAD_TIME: 1}


class Row(TrackingRow):
    __slots__ = ("__weakref__",)  # so the test can see when a row is released


class StreamingStore(FakeStore):
    """Builds its window's rows while they are read, as the database drivers do, and keeps weak references."""

    def __init__(self, count, first_start, check=None):
        super().__init__([])
        self.count, self.first_start, self.check, self.refs = count, first_start, check, []

    def rows_in_window(self, start, end, ordered=True):
        for index in range(self.count):
            if self.check:
                self.check(index)
            moment = ts(self.first_start + index)
            made = Row(f"u{index}", "alice", f"u{index}.dat", moment, moment + dt.timedelta(seconds=1), "SUCCESS")
            self.refs.append(weakref.ref(made))
            yield made
            del made


def test_pairing_releases_both_rows_while_the_egress_rows_stream_in():
    """A million pairs must not be held as ingress rows, egress rows and records at once."""
    def released_so_far(index):
        # all but the row just handed over (the reader's loop variable still names it)
        for refs in (ingress.refs[:max(0, index - 1)], egress.refs[:max(0, index - 1)]):
            assert all(ref() is None for ref in refs), f"rows still held while reading egress row {index}"

    ingress = StreamingStore(50, 0)
    egress = StreamingStore(50, 2, released_so_far)
    result = collect(ingress, egress, ts(0), ts(600))
    assert [r.uuid for r in result.pairs] == [f"u{index}" for index in range(50)]
    assert [r.transit for r in result.pairs] == [3.0] * 50 and not result.issues


def test_duplicate_egress_rows_of_a_pair_name_the_row_the_pair_used():
    first = row("u1", 12, 13, "FAILED")
    ingress = FakeStore([row("u1", 10, 11), row("u2", 10, 11)])
    egress = FakeStore([row("u1", 5, 6), first, row("u2", 12, 13), row("u1", 14, 15), row("o", 20, 21),
                        row("o", 22, 23), row("u1", 16, 17)])
    result = collect(ingress, egress, ts(10), ts(60))
    assert [(r.uuid, r.status, r.transit) for r in result.pairs] == [("u1", "FAILED", 3.0), ("u2", "SUCCESS", 3.0)]
    duplicates = [issue for issue in result.issues if issue.kind == DUPLICATE_UUID]
    assert [(i.uuid, [(role, r.start) for role, r in i.rows]) for i in duplicates] == [
        ("o", [("egress", ts(20)), ("egress", ts(22))]),
        ("u1", [("egress", ts(12)), ("egress", ts(14))]),
        ("u1", [("egress", ts(12)), ("egress", ts(16))]),
    ]
    assert [r.uuid for r in result.egress_only] == ["o"]


@pytest.mark.parametrize("stored, offset", [("0001-01-01 00:00:00", 2), ("9999-12-31 23:59:59.999999", -5),
                                            ("2026-03-29 02:30:00.5", 0)])
def test_times_at_the_calendars_edges_read_and_show(stored, offset):
    """Rows hold epoch seconds; a wall time that is year 0 or 10000 in UTC still shows as stored."""
    zone = dt.timezone(dt.timedelta(hours=offset))
    made = make_row(("u1", "alice", "f", stored, stored, "SUCCESS"), zone)
    expected = dt.datetime.fromisoformat(stored.ljust(26, "0") if "." in stored else stored).replace(tzinfo=zone)
    assert made.bad is None and made.start == made.end == expected  # (ljust: 3.9 reads 6 fraction digits only)
    assert made.start_ts == expected.timestamp()


def test_an_ingress_row_and_its_pairs_record_take_blocks_of_one_size():
    """Pairing releases each ingress row as it makes the record that replaces it: with equal sizes the
    record reuses the row's memory (94 MB less at a million pairs)."""
    import sys

    from fth.report.compute import Record

    row = TrackingRow.of_epochs("u", "alice", "f", 1.0, 2.0, "SUCCESS", UTC)
    assert sys.getsizeof(row) == sys.getsizeof(Record("alice", "f", 1.0, 2.0, "SUCCESS", True))
