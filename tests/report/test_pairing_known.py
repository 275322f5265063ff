"""fth.report.pairing, known answers: every field of the records and issues pairing makes."""

import datetime as dt

from fth.report.compute import EGRESS_ONLY, INGRESS_ONLY, PAIR, Record
from fth.report.pairing import (
    BAD_TIME,
    CLOCK_SKEW,
    DUPLICATE_UUID,
    NEGATIVE_TRANSIT,
    NULL_END,
    NULL_UUID,
    USERNAME_MISMATCH,
    Pairing,
    QualityIssue,
    collect,
    index_rows,
    make_pair,
    pair_rows,
    partners,
    unpaired,
)
from fth.tracking import TrackingRow
from fth.tracking.base import moment_epoch as _epoch
from tests.report.test_pairing import FakeStore, row, ts


def fields(record):
    return (record.username, record.filename, record.start, record.end, record.status, record.passed,
            record.uuid, record.ingress_status, record.kind)


def test_make_pair_record_and_every_issue_in_full():
    ingress = TrackingRow("u1", "alice", "in.dat", ts(10), ts(11), "RECEIVED")
    egress = TrackingRow("u1", "bob", "out.dat", ts(8), ts(7.5), "SUCCESS")
    issues = []
    record = make_pair(ingress, egress, issues)
    assert fields(record) == ("alice", "in.dat", ts(10).timestamp(), ts(7.5).timestamp(), "SUCCESS", True, "u1",
                              "RECEIVED", PAIR)
    both = (("ingress", ingress), ("egress", egress))
    assert issues == [
        QualityIssue(NEGATIVE_TRANSIT, "u1", "egress ended 2.500s before ingress started; "
                     "left out of the transit statistics", both),
        QualityIssue(CLOCK_SKEW, "u1", "egress started 2.000s before ingress; are the servers' clocks in sync?",
                     both),
        QualityIssue(USERNAME_MISMATCH, "u1", "ingress username 'alice', egress username 'bob'; "
                     "the ingress username decides the job", both),
    ]


def test_make_pair_falls_back_to_egress_names_and_notes_a_null_end():
    ingress = TrackingRow("u2", None, None, ts(10), ts(11), "RECEIVED")
    egress = TrackingRow("u2", "carol", "out.dat", ts(12), None, "FAILED")
    issues = []
    record = make_pair(ingress, egress, issues)
    assert fields(record) == ("carol", "out.dat", ts(10).timestamp(), None, "FAILED", False, "u2", "RECEIVED", PAIR)
    assert [(i.kind, i.uuid, i.detail, i.rows) for i in issues] == [
        (NULL_END, "u2", "egress endTime is NULL", (("ingress", ingress), ("egress", egress))),
        (USERNAME_MISMATCH, "u2", "ingress username None, egress username 'carol'; "
         "the ingress username decides the job", (("ingress", ingress), ("egress", egress)))]


def test_make_pair_edges_raise_no_issue():
    # same start (no skew), end == start (no negative transit), an unreadable end (a bad_time issue elsewhere)
    issues = []
    make_pair(row("e", 10, 11), row("e", 10, 10), issues)
    make_pair(row("b", 10, 11), TrackingRow("b", "alice", "f", ts(10), None, "SUCCESS", bad="endTime 'x'"), issues)
    make_pair(TrackingRow("n", "alice", "f", None, ts(3), "X"), row("n", 1, 2), issues)
    make_pair(row("m", 10, 11), TrackingRow("m", "alice", "f", None, ts(12), "SUCCESS"), issues)
    assert issues == []


def test_unpaired_records_by_kind():
    source = TrackingRow("u3", "dave", "d.dat", ts(1), ts(4), "SUCCESS")
    assert fields(unpaired(source, INGRESS_ONLY)) == (
        "dave", "d.dat", ts(1).timestamp(), ts(4).timestamp(), "SUCCESS", False, "u3", "SUCCESS", INGRESS_ONLY)
    assert fields(unpaired(source, EGRESS_ONLY)) == (
        "dave", "d.dat", ts(1).timestamp(), ts(4).timestamp(), "SUCCESS", False, "u3", None, EGRESS_ONLY)


def test_pair_rows_known_answer():
    made = Record("alice", "r.dat", 1.0, 2.0, "SUCCESS", True, uuid="done")
    open_in = row("open", 0, None)
    broken_in = TrackingRow("broken", "alice", "f", ts(0), None, "X", bad="endTime 'x'")
    paired_in, paired_out = row("p", 0, None), row("p", 1, 2)
    ingress = {"done": made, "open": open_in, "broken": broken_in, "p": paired_in}
    egress = {"p": paired_out, "late": row("late", 5, 6), "early": row("early", 5, 6), "e2": row("e2", 5, 6)}
    issues = []
    result = pair_rows(ingress, egress, ["p", "late", "early", "e2"], issues, ingress_elsewhere=["early", "e2"])
    assert result.issues is issues
    assert [r.uuid for r in result.pairs] == ["done", "p"] and result.pairs[0] is made
    assert [fields(r) for r in result.ingress_only] == [
        ("alice", "open.dat", ts(0).timestamp(), None, "SUCCESS", False, "open", "SUCCESS", INGRESS_ONLY),
        ("alice", "f", ts(0).timestamp(), None, "X", False, "broken", "X", INGRESS_ONLY)]
    assert [r.uuid for r in result.egress_only] == ["late"] and result.partner_before_window == 2
    assert [r.uuid for r in result.records] == ["done", "p", "open", "broken", "late"]
    assert [(i.kind, i.uuid, i.detail, i.rows) for i in issues] == [
        (NULL_END, "open", "ingress endTime is NULL", (("ingress", open_in),)),
        (NULL_END, "p", "ingress endTime is NULL", (("ingress", paired_in),))]
    assert ingress == dict.fromkeys(["done", "open", "broken", "p"]) and "p" not in egress
    assert pair_rows({}, {}, []).issues == [] and Pairing().issue_counts() == {}


def test_index_rows_screens_and_fills_the_given_dict():
    bad_nameless = TrackingRow(" ", "alice", "f", ts(0), None, "X", bad="endTime 'x'")
    first, second, third = row("d", 0, 1), row("d", 1, 2), row("d", 2, 3)
    issues = []
    into = {}
    found = index_rows([bad_nameless, first, second, third], "egress", issues, into=into)
    assert found is into and found == {"d": first}
    assert [(i.kind, i.uuid, i.detail, i.rows) for i in issues] == [
        (BAD_TIME, " ", "egress: endTime 'x'", (("egress", bad_nameless),)),
        (NULL_UUID, "", "egress row without a UUID never pairs", (("egress", bad_nameless),)),
        (DUPLICATE_UUID, "d", "egress has more than one row with this UUID; the earliest-started one is used",
         (("egress", first), ("egress", second))),
        (DUPLICATE_UUID, "d", "egress has more than one row with this UUID; the earliest-started one is used",
         (("egress", first), ("egress", third)))]


def test_partners_looks_up_nothing_for_no_uuids_and_keeps_the_first_row():
    store = FakeStore([row("a", 5, 6), row("b", 1, 2), row("a", 7, 8)])
    assert partners(store, [], "egress", []) == {} and store.lookups == []
    issues = []
    found = partners(store, ["b", "a", "zz"], "egress", issues)
    assert found == {"b": store.rows[1], "a": store.rows[0]} and list(found) == ["b", "a"]
    assert [(i.kind, i.uuid) for i in issues] == [(DUPLICATE_UUID, "a")] and store.lookups == [["b", "a", "zz"]]


def test_collect_for_one_user_sorts_issues_and_names_the_used_duplicate():
    ingress = FakeStore([row("x1", 10, 11), row("x2", 11, None, user="bob"), row("x3", 12, None),
                         row("", 13, 14)])
    egress = FakeStore([
        row("x1", 5, 6),  # before the window: never a candidate
        row("x1", 14, 15, user="bob"),  # another user's: not read, not a candidate
        row("x1", 20, 22, "FAILED"),  # the pair's egress row
        row("x1", 21, 23),  # duplicates
        row("x1", 30, 31),
        row("x2", 15, 16, user="bob"),
        row("lone", 40, 41), row("lone", 41, 42, user="bob"),
    ])
    result = collect(ingress, egress, ts(10), ts(60), username="alice")
    assert [(r.uuid, r.status, r.transit) for r in result.pairs] == [("x1", "FAILED", 12.0)]
    assert [r.uuid for r in result.ingress_only] == ["x3"] and [r.uuid for r in result.egress_only] == ["lone"]
    assert [(i.kind, i.uuid, [r.start for _, r in i.rows]) for i in result.issues] == [
        (DUPLICATE_UUID, "x1", [ts(20), ts(21)]), (DUPLICATE_UUID, "x1", [ts(20), ts(30)]),
        (NULL_END, "x3", [ts(12)]), (NULL_UUID, "", [ts(13)])]
    assert egress.lookups == [["x1"], ["x3"]] and ingress.lookups == [["lone"]]


class TiesReversedStore(FakeStore):
    """Look-ups by UUID ordered by start time, but rows with the same start in the other order
    than the window's read (ORDER BY startTime leaves ties in any order)."""

    def rows_by_uuid(self, uuids):
        found = super().rows_by_uuid(uuids)
        return {uuid: sorted(rows, key=lambda r: (r.start, -rows.index(r))) for uuid, rows in found.items()}


def test_collect_names_each_role_in_its_issues():
    ingress = FakeStore([row("", 10, 11), row("late", 11, 12), row("s", 12, 13)])
    egress = TiesReversedStore([
        row("", 14, 15),  # never pairs; the rows after it still do
        row("s", 15, 16, user="bob"),  # the pair's row (a username mismatch, noted while streaming)
        row("s", 15, 25, "FAILED"),  # as early: the look-up gives it first, the issue names the pair's row
        row("late", 70, 71), row("late", 72, 73),  # after the window: looked up by UUID
    ])
    result = collect(ingress, egress, ts(10), ts(60))
    assert [(r.uuid, r.transit) for r in result.pairs] == [("late", 60.0), ("s", 4.0)]
    duplicate = "egress has more than one row with this UUID; the earliest-started one is used"
    rows = [(i.kind, i.uuid, i.detail, [(role, r.start, r.status) for role, r in i.rows]) for i in result.issues]
    assert rows == [
        (DUPLICATE_UUID, "late", duplicate, [("egress", ts(70), "SUCCESS"), ("egress", ts(72), "SUCCESS")]),
        (DUPLICATE_UUID, "s", duplicate, [("egress", ts(15), "SUCCESS"), ("egress", ts(15), "FAILED")]),
        (NULL_UUID, "", "ingress row without a UUID never pairs", [("ingress", ts(10), "SUCCESS")]),
        (NULL_UUID, "", "egress row without a UUID never pairs", [("egress", ts(14), "SUCCESS")]),
        (USERNAME_MISMATCH, "s", "ingress username 'alice', egress username 'bob'; "
         "the ingress username decides the job", [("ingress", ts(12), "SUCCESS"), ("egress", ts(15), "SUCCESS")]),
    ]


def test_collect_without_duplicates_or_orphans_looks_nothing_up():
    ingress = FakeStore([row("a", 10, 11)])
    egress = FakeStore([row("a", 12, 13)])
    result = collect(ingress, egress, ts(0), ts(60))
    assert [r.transit for r in result.pairs] == [3.0] and egress.lookups == [] and ingress.lookups == []


def test_epoch_of_aware_and_naive_moments():
    assert _epoch(ts(5)) == ts(5).timestamp()
    naive = dt.datetime(2026, 1, 1, 12, 0)
    assert _epoch(naive) == naive.astimezone().timestamp()


def test_the_note_on_egress_rows_of_ingress_rows_elsewhere_says_outside_not_before():
    from fth.report.compute import summarize
    from fth.report.engine import ReportRequest, _notes
    from fth.report.pairing import Pairing

    pairing = Pairing(partner_before_window=2)
    request = ReportRequest(ts(0), ts(60))
    assert _notes(request, pairing, summarize([]), [], 0, 0) == [
        "2 egress row(s) in the window belong to ingress rows outside it and are not counted here."]
    request.username = "bob"  # an egress row of bob's whose ingress row is alice's counts too
    assert _notes(request, pairing, summarize([]), [], 0, 0) == [
        "2 egress row(s) in the window belong to ingress rows outside it or of another user and are not counted "
        "here."]


class DatedWindowStore(FakeStore):
    """A store whose window holds only rows with a start time (as SQL's does: NULL and no-time are in none)."""

    def rows_in_window(self, start, end, ordered=True):
        return [r for r in self.rows if r.start_ts is not None and start <= r.start < end]


def test_an_ingress_row_without_a_start_time_is_counted_in_its_egress_rows_window():
    """Its egress partner was 'an egress row of an ingress row outside the window' in every window: the transfer,
    failed ones too, was counted nowhere."""
    from fth.report.compute import summarize
    from fth.report.pairing import BAD_TIME

    no_time = TrackingRow("t-bad", "alice", "b.dat", None, ts(12), "RECEIVED", bad="startTime 'soon' is not a time")
    ingress = DatedWindowStore([row("ok", 10, 11), TrackingRow("t-null", "alice", "n.dat", None, None, "RECEIVED"),
                                no_time, TrackingRow("t-bob", "bob", "x.dat", None, None, "RECEIVED")])
    egress = DatedWindowStore([row("ok", 11, 12), row("t-null", 20, 25, "FAILED"), row("t-bad", 30, 31),
                               row("t-bob", 40, 41, user="bob")])
    result = collect(ingress, egress, ts(0), ts(60))
    assert sorted(r.uuid for r in result.pairs) == ["ok", "t-bad", "t-bob", "t-null"]
    assert result.egress_only == [] and result.ingress_only == [] and result.partner_before_window == 0
    assert sorted((i.kind, i.uuid, i.detail) for i in result.issues if i.kind == BAD_TIME) == [
        (BAD_TIME, "t-bad", "ingress: startTime 'soon' is not a time"),
        (BAD_TIME, "t-bob", "ingress: startTime is NULL; counted in the window of its egress row"),
        (BAD_TIME, "t-null", "ingress: startTime is NULL; counted in the window of its egress row")]
    total = summarize(result.records).total
    assert (total.files, total.passed, total.failed, total.lost) == (4, 3, 1, 0)
    alone = collect(ingress, egress, ts(0), ts(60), username="alice")  # bob's rows stay out for alice
    assert sorted(r.uuid for r in alone.pairs) == ["ok", "t-bad", "t-null"]
