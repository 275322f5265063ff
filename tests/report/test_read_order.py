"""The ingress window is read as the server finds its rows (no ORDER BY: the server would sort the whole window
before sending its first row) and put in start order by fth: the report is the one an ordered read gives."""

import datetime as dt
import logging

import pytest

from fth.config.model import DbConfig
from fth.report.pairing import DUPLICATE_UUID, collect
from fth.tracking import TrackingRow, open_store
from fth.tracking.base import in_start_order

UTC = dt.timezone.utc
START = dt.datetime(2026, 1, 10, 10, 0, tzinfo=UTC)
END = dt.datetime(2026, 1, 10, 11, 0, tzinfo=UTC)
# stored against time: each row's id is smaller than an earlier-started row's, so a scan finds them newest first
INGRESS = [("d-1", "10:50:00", "late.dat"), ("t-2", "10:40:00", "tie-b.dat"), ("t-1", "10:40:00", "tie-a.dat"),
           ("d-1", "10:20:00", "early.dat"), ("u-1", "10:10:00", "first.dat"), ("d-1", "10:30:00", "middle.dat")]
EGRESS = [("d-1", "10:55:00"), ("t-1", "10:45:00"), ("t-2", "10:46:00"), ("u-1", "10:15:00")]


@pytest.fixture(scope="module")
def stored_against_time(mariadb):
    names = {}
    for role, rows in (("ingress", INGRESS), ("egress", EGRESS)):
        database = names[role] = mariadb.create_database(f"order_{role}")
        values = ", ".join(f"({number}, '{row[0]}', 'alice', '{row[2] if len(row) > 2 else 'x'}', "
                           f"'2026-01-10 {row[1]}', '2026-01-10 {row[1]}', 'SUCCESS')"
                           for number, row in enumerate(rows, 1))
        mariadb.execute("CREATE TABLE transfers (id INT PRIMARY KEY, UUID VARCHAR(64), username VARCHAR(64), "
                        "filename VARCHAR(255), startTime DATETIME(6), endTime DATETIME(6), status VARCHAR(32))",
                        f"INSERT INTO transfers VALUES {values}", database=database)
    return names


def _db(mariadb, database, role):
    return DbConfig(role=role, host="127.0.0.1", port=mariadb.port, user="root", password=mariadb.root_password,
                    database=database, table="transfers", timezone="UTC")


def test_rows_stored_against_time_pair_and_list_in_start_order(mariadb, stored_against_time, caplog):
    caplog.set_level(logging.DEBUG, logger="fth.tracking")
    with open_store(_db(mariadb, stored_against_time["ingress"], "ingress")) as ingress, \
            open_store(_db(mariadb, stored_against_time["egress"], "egress")) as egress:
        assert [row.uuid for row in ingress.rows_in_window(START, END, ordered=False)][:2] == ["d-1", "t-2"]
        caplog.clear()
        result = collect(ingress, egress, START, END)
    assert [(record.uuid, record.filename) for record in result.records] == [
        ("u-1", "first.dat"), ("d-1", "early.dat"), ("t-2", "tie-b.dat"), ("t-1", "tie-a.dat")]  # equal: as stored
    duplicates = [issue for issue in result.issues if issue.kind == DUPLICATE_UUID]
    assert [[row.filename for _role, row in issue.rows] for issue in duplicates] == [
        ["early.dat", "middle.dat"], ["early.dat", "late.dat"]]  # the earliest-started is used
    assert result.pairs[1].transit == 35 * 60
    windows = [record.getMessage() for record in caplog.records if "`startTime` <" in record.getMessage()]
    assert len(windows) == 2 and "ingress" in windows[0] and "ORDER BY" not in windows[0]


def test_in_start_order_sorts_rows_without_a_time_last_and_keeps_equal_ones_as_they_came():
    def made(uuid, minute):
        moment = None if minute is None else START + dt.timedelta(minutes=minute)
        return TrackingRow(uuid, "alice", "f", moment, None, "SUCCESS")

    rows = [made("c", 30), made("none-1", None), made("a", 10), made("b-1", 20), made("none-2", None), made("b-2", 20)]
    in_start_order(rows)
    assert [row.uuid for row in rows] == ["a", "b-1", "b-2", "c", "none-1", "none-2"]
    timed = [made("y", 5), made("x", 1), made("z", 5)]
    in_start_order(timed)
    assert [row.uuid for row in timed] == ["x", "y", "z"]


def test_rows_already_in_order_are_not_sorted_again():
    """Tracking tables are mostly stored in time order: such a window is checked, not sorted (a sort's list of
    keys is 8 bytes a row, 40 MB of a five-million-row report's peak)."""
    import tracemalloc

    rows = [TrackingRow(f"u{n}", "alice", "f", START + dt.timedelta(milliseconds=n), None, "SUCCESS")
            for n in range(200_000)]
    first = rows[0]
    tracemalloc.start()
    try:
        in_start_order(rows)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert rows[0] is first and peak < 100_000, f"{peak} bytes"
