"""The read-only tracking store against a real MariaDB with a SELECT-only account."""

import datetime as dt
import re
import sqlite3

import pytest

from fth.config.model import DEFAULT_COLUMNS, DbConfig
from fth.tracking import TrackingError, open_store, resolve_zone
from tests.report import dataset

UTC = dt.timezone.utc
START = dt.datetime(2026, 1, 10, 10, 0, tzinfo=UTC)
END = dt.datetime(2026, 1, 10, 11, 0, tzinfo=UTC)


def test_rows_in_window_are_streamed_in_order_with_aware_times(db_config):
    with open_store(db_config()) as store:
        rows = list(store.rows_in_window(START, END))
    assert [row.uuid for row in rows] == ["u-a1", "u-a2", "u-a3", "u-a4", "u-b1", "u-c1", "u-io1", "u-io2", "u-b2"]
    first = rows[0]
    assert first.start == START and first.end == dt.datetime(2026, 1, 10, 10, 0, 0, 500000, tzinfo=UTC)
    assert (first.username, first.filename, first.status) == ("alice", "a1.dat", "SUCCESS")
    assert any(row.filename == dataset.UNICODE_NAME for row in rows)


def test_window_bounds_in_another_zone_select_the_same_rows(db_config):
    plus2 = dt.timezone(dt.timedelta(hours=2))
    with open_store(db_config()) as store:
        count = store.count_in_window(START.astimezone(plus2), END.astimezone(plus2))
    assert count == 9


def test_configured_zone_applies_to_stored_values(db_config):
    with open_store(db_config(timezone="+02:00")) as store:
        rows = list(store.rows_in_window(START, END))  # 12:00-13:00 +02:00 stored: none of 10:00-11:00
        shifted = list(store.rows_in_window(START - dt.timedelta(hours=2), END - dt.timedelta(hours=2)))
    assert rows == []
    assert shifted[0].uuid == "u-a1" and shifted[0].start.utcoffset() == dt.timedelta(hours=2)


def test_server_session_zone_when_not_configured(db_config):
    with open_store(db_config(timezone=None)) as store:
        rows = list(store.rows_in_window(START - dt.timedelta(days=1), END + dt.timedelta(days=1)))
    assert rows and all(row.start.tzinfo is not None for row in rows)


def test_rows_by_uuid_batches_and_reaches_outside_any_window(db_config):
    with open_store(db_config("egress")) as store:
        found = store.rows_by_uuid(["u-b2", "u-a1", "u-out", "nope", "u-a2"], batch=2)
    assert sorted(found) == ["u-a1", "u-a2", "u-b2", "u-out"]
    assert found["u-b2"][0].end == dt.datetime(2026, 1, 10, 11, 1, tzinfo=UTC)


def test_recent_usernames_and_ping(db_config):
    with open_store(db_config()) as store:
        newest = store.recent(3)
        alice_failed = store.recent(10, username="alice", status="FAILED")
        names = store.usernames()
        round_trip = store.ping()
    assert isinstance(round_trip, float) and 0 < round_trip < 5
    with open_store(db_config()) as store:
        store.conn.close()  # the connection is gone: a ping that reaches no server fails
        with pytest.raises(TrackingError):
            store.ping()
    assert [row.uuid for row in newest] == ["u-b2", "u-io2", "u-io1"]
    assert [row.uuid for row in alice_failed] == ["u-a4"]
    assert names == ["alice", "bob", "carol", "dave"]


def test_abandoned_stream_leaves_the_store_usable(db_config):
    with open_store(db_config()) as store:
        stream = store.rows_in_window(START, END)
        assert next(stream).uuid == "u-a1"
        stream.close()
        assert store.count_in_window(START, END) == 9


def test_session_is_read_only_even_for_an_account_that_may_write(db_config, mariadb):
    import pymysql

    with open_store(db_config(user="root", password=mariadb.root_password)) as store:
        store.ping()
        with pytest.raises(pymysql.MySQLError) as caught, store.conn.cursor() as cur:
            cur.execute("INSERT INTO transfers (UUID, startTime) VALUES ('x', NOW())")
    assert caught.value.args[0] == 1792  # ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION


def test_missing_table_names_database_and_hints(db_config):
    with pytest.raises(TrackingError) as caught, open_store(db_config(table="nope")) as store:
        store.check()
    message = str(caught.value)
    assert message.startswith("ingress fth_reader@127.0.0.1:") and ".nope" in message and "1146" in message
    assert "wrong table?" in caught.value.hint
    assert dataset.READER_PW not in message


def test_wrong_column_mapping_is_hinted(db_config):
    columns = dict(DEFAULT_COLUMNS, status="state")
    with pytest.raises(TrackingError) as caught, open_store(db_config(columns=columns)) as store:
        list(store.rows_in_window(START, END))
    assert "state" in str(caught.value) and "status=state" in caught.value.hint


def test_wrong_password_never_echoes_it(db_config):
    with pytest.raises(TrackingError) as caught:
        open_store(db_config(password="s3cret-wrong")).open()
    assert "1045" in str(caught.value) and "s3cret-wrong" not in str(caught.value) + caught.value.hint


def test_server_outage_is_a_tracking_error_and_recovers(db_config, mariadb):
    store = open_store(db_config(connect_timeout=2.0))
    try:
        store.open()
        mariadb.stop()
        with pytest.raises(TrackingError) as caught:
            store.count_in_window(START, END)
        assert "ingress" in str(caught.value)
    finally:
        mariadb.start()
    with store:
        assert store.count_in_window(START, END) == 9


def test_unknown_zone_is_a_usage_error():
    from fth.errors import UsageError

    with pytest.raises(UsageError):
        resolve_zone("Mars/Olympus")
    assert resolve_zone("-05:30").utcoffset(None) == -dt.timedelta(hours=5, minutes=30)


def sqlite_tracking(tmp_path, rows, start_type="TEXT"):
    """A tracking file of the built-in target's shape (any SQLite type in any column) holding ``rows``."""
    path = tmp_path / "track.db"
    conn = sqlite3.connect(path)
    conn.execute(f'CREATE TABLE transfers ("UUID" TEXT, username TEXT, filename TEXT, "startTime" {start_type}, '
                 '"endTime" TEXT, status TEXT)')
    conn.executemany("INSERT INTO transfers VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    return path


def test_sqlite_store_reads_the_embedded_file_read_only(tmp_path):
    path = sqlite_tracking(tmp_path, dataset.INGRESS)
    db = DbConfig(role="ingress", driver="sqlite", path=str(path), timezone="UTC")
    with open_store(db) as store:
        rows = list(store.rows_in_window(START, END))
        assert [row.uuid for row in rows][:2] == ["u-a1", "u-a2"] and len(rows) == 9
        assert rows[0].end == dt.datetime(2026, 1, 10, 10, 0, 0, 500000, tzinfo=UTC)
        assert sorted(store.rows_by_uuid(["u-out", "u-a3"])) == ["u-a3", "u-out"]
        assert store.usernames() == ["alice", "bob", "carol", "dave"]
        with pytest.raises(sqlite3.OperationalError):
            store.conn.execute("DELETE FROM transfers")
    with pytest.raises(TrackingError) as caught, open_store(DbConfig(role="egress", driver="sqlite",
                                                                     path=str(tmp_path / "none.db"))):
        pass
    assert "egress sqlite:" in str(caught.value)


@pytest.mark.parametrize("logical, typo", [("status", "Status_"), ("uuid", "uuid_"), ("username", "user")])
def test_a_misspelled_sqlite_column_is_an_error_not_a_text_on_every_row(tmp_path, logical, typo):
    path = sqlite_tracking(tmp_path, dataset.INGRESS)
    db = DbConfig(role="ingress", driver="sqlite", path=str(path), timezone="UTC",
                  columns=dict(DEFAULT_COLUMNS, **{logical: typo}))
    with pytest.raises(TrackingError) as caught, open_store(db) as store:
        list(store.rows_in_window(START, END))
    assert f"no such column: {typo}" in str(caught.value)


def test_times_of_every_precision_and_type_read_exactly(db_config, mariadb):
    """DATETIME/TIMESTAMP values arrive as text and are parsed by the store: every precision, a zero date."""
    mariadb.create_database("st_precision")
    mariadb.execute("CREATE TABLE transfers (UUID VARCHAR(64), username VARCHAR(64), filename VARCHAR(255), "
                    "startTime DATETIME(2), endTime TIMESTAMP(6) NULL, status VARCHAR(32))",
                    "SET SESSION sql_mode = ''", "SET SESSION time_zone = '+00:00'",
                    "INSERT INTO transfers VALUES ('p-1', 'alice', 'a.dat', '2026-01-10 10:00:00.25', "
                    "'2026-01-10 10:00:01.123456', 'SUCCESS'), ('p-2', 'alice', 'b.dat', '2026-01-10 10:00:02', "
                    "NULL, 'SUCCESS'), ('p-3', 'alice', 'c.dat', '0000-00-00 00:00:00', NULL, 'SUCCESS')",
                    database="st_precision")
    config = db_config(user="root", password=mariadb.root_password, database="st_precision")
    with open_store(config) as store:
        rows = {row.uuid: row for row in store.rows_by_uuid(["p-1", "p-2", "p-3"]).values() for row in row}
    assert rows["p-1"].start == dt.datetime(2026, 1, 10, 10, 0, 0, 250000, tzinfo=UTC)
    assert rows["p-1"].end == dt.datetime(2026, 1, 10, 10, 0, 1, 123456, tzinfo=UTC)
    assert rows["p-2"].start == dt.datetime(2026, 1, 10, 10, 0, 2, tzinfo=UTC) and rows["p-2"].end is None
    assert rows["p-3"].start is None and "startTime '0000-00-00 00:00:00.00' is not a time" in rows["p-3"].bad
    # held as epoch seconds (half a datetime's memory at a million rows), the datetimes built on demand
    assert (rows["p-1"].start_ts, rows["p-1"].end_ts) == (1768039200.25, 1768039201.123456)
    assert rows["p-1"].start.tzinfo is store.zone and (rows["p-3"].start_ts, rows["p-3"].end_ts) == (None, None)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-01-10 10:00:00.5", dt.datetime(2026, 1, 10, 10, 0, 0, 500000)),
    ("2026-01-10T10:00:00.12345", dt.datetime(2026, 1, 10, 10, 0, 0, 123450)),
    ("2026-01-10 10:00:00.12Z", dt.datetime(2026, 1, 10, 10, 0, 0, 120000, tzinfo=UTC)),
    (" 2026-01-10 10:00:00 ", dt.datetime(2026, 1, 10, 10, 0, 0)),
])
def test_time_text_with_any_fraction_parses_on_every_python(text, expected):
    from fth.tracking.base import _parse_time_text

    assert _parse_time_text(text) == expected



@pytest.fixture(scope="module")
def unindexed(mariadb):
    """A table of the default schema's column types without a startTime index: its window is always sorted
    by the server (with the index, the optimizer may read the index in order instead, and sort nothing)."""
    database = mariadb.create_database("sorted_window")
    mariadb.execute(
        "CREATE TABLE transfers (UUID CHAR(36) NOT NULL, username VARCHAR(255), filename VARCHAR(1024), "
        "startTime DATETIME(3) NOT NULL, endTime DATETIME(3), status ENUM('SUCCESS', 'FAILED', 'TIMEOUT')) "
        "DEFAULT CHARSET=utf8mb4",
        "INSERT INTO transfers SELECT CONCAT('u-', seq), 'alice', 'f.dat', "
        "TIMESTAMP'2026-01-10 10:59:00' - INTERVAL seq SECOND, NULL, 'SUCCESS' FROM seq_1_to_50",
        database=database)
    return DbConfig(role="ingress", host="127.0.0.1", port=mariadb.port, user="root", password=mariadb.root_password,
                    database=database, table="transfers", timezone="UTC")


def _sort_modes(store):
    """How the server sorted the store's window query: MariaDB's ``r_sort_mode`` values (ANALYZE FORMAT=JSON)."""
    import json

    with store.conn.cursor() as cur:
        cur.execute(f"ANALYZE FORMAT=JSON {store._window_rows_sql()}", (store.bound(START), store.bound(END)))
        plan = cur.fetchone()[0]
    return re.findall(r'"r_sort_mode": "([^"]*)"', json.dumps(json.loads(plan)))


def test_a_window_sorted_by_the_server_is_sorted_with_its_rows_not_fetched_again_by_id(unindexed):
    with open_store(unindexed) as store:
        assert [mode for mode in _sort_modes(store) if "addon_fields" in mode]  # not "sort_key,rowid"
        uuids = [row.uuid for row in store.rows_in_window(START, END)]
    assert uuids == [f"u-{seq}" for seq in range(50, 0, -1)]


def test_a_server_refusing_the_sort_setting_is_read_as_before(unindexed, monkeypatch):
    from fth.tracking import mysql

    monkeypatch.setattr(mysql, "SORT_ROWS_THEMSELVES", "SET SESSION no_such_variable = 1")
    with open_store(unindexed) as store:
        assert [mode for mode in _sort_modes(store) if "rowid" in mode]
        assert len(list(store.rows_in_window(START, END))) == 50


def test_the_scale_bench_compares_with_the_sort_setting_fth_report_uses():
    from pathlib import Path

    from fth.tracking import mysql

    bench = (Path(__file__).resolve().parents[2] / "bench" / "report_scale.py").read_text(encoding="utf-8")
    assert f'SORT_ROWS_THEMSELVES = "{mysql.SORT_ROWS_THEMSELVES}"' in bench


def test_a_sqlite_store_in_the_local_zone_follows_its_clock_changes(tmp_path, monkeypatch):
    """The built-in target writes local wall-clock text: 01:59 and 03:01 on the night Berlin's clocks go forward
    are two minutes apart, not an hour and two minutes."""
    import time

    path = sqlite_tracking(tmp_path, [("u-1", "alice", "f", "2026-03-29 01:59:00", "2026-03-29 03:01:00", "SUCCESS")])
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        window = (dt.datetime(2026, 3, 29, 0, 0, tzinfo=UTC), dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC))
        with open_store(DbConfig(role="ingress", driver="sqlite", path=str(path))) as store:
            (row,) = store.rows_in_window(*window)
        assert row.end_ts - row.start_ts == 120
        assert row.start == dt.datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_names_stored_as_bytes_or_numbers_are_read_as_text(tmp_path):
    """SQLite keeps any type in any column: a BLOB filename, a numeric username, a status with a byte that is
    no UTF-8 are text to a report (it sorts, compares and prints them), never an unexpected error."""
    path = sqlite_tracking(tmp_path, [
        ("u-1", b"alice", b"report.csv", "2026-01-10 10:00:00", "2026-01-10 10:00:01", b"\xffSUCCESS"),
        ("u-2", 42, 7.5, "2026-01-10 10:00:02", "2026-01-10 10:00:03", "SUCCESS"),
    ])
    with open_store(DbConfig(role="ingress", driver="sqlite", path=str(path), timezone="UTC")) as store:
        rows = list(store.rows_in_window(START, END))
    assert [(row.username, row.filename, row.status) for row in rows] == [
        ("alice", "report.csv", "\ufffdSUCCESS"), ("42", "7.5", "SUCCESS")]


def test_the_newest_sqlite_rows_are_the_newest_however_their_time_is_stored(tmp_path):
    """As text, an epoch number sorts before every text and '2026-01-10T09:00' after any plain time of that day:
    the newest rows were the wrong ones."""
    epoch = dt.datetime(2026, 1, 10, 12, 0, tzinfo=UTC).timestamp()
    starts = [("plain-10", "2026-01-10 10:00:00", "alice"), ("plain-11", "2026-01-10 11:00:00.5", "bob"),
              ("epoch-12", epoch, "alice"), ("t-09", "2026-01-10T09:00:00", "alice"),
              ("zulu-13", "2026-01-10T13:00:00Z", "bob"), ("offset-0930", "2026-01-10 11:30:00+02:00", "alice"),
              ("null", None, "alice"), ("garbage", "soon", "alice")]
    path = sqlite_tracking(tmp_path, [(uuid, user, "f", start, None, "SUCCESS") for uuid, start, user in starts],
                           start_type="")
    with open_store(DbConfig(role="ingress", driver="sqlite", path=str(path), timezone="UTC")) as store:
        assert [row.uuid for row in store.recent(4)] == ["zulu-13", "epoch-12", "plain-11", "plain-10"]
        assert [row.uuid for row in store.recent(3, username="alice")] == ["epoch-12", "plain-10", "offset-0930"]
        assert [row.uuid for row in store.recent(100)][-2:] in (["null", "garbage"], ["garbage", "null"])
        assert len(store.recent(100)) == len(starts) and store.recent(0) == []


def test_a_sqlite_window_holds_every_row_whose_time_is_in_it_however_it_is_stored(tmp_path):
    """Text compares as text: '2026-01-10T10:30' and epoch numbers fell out of their window, '10:10+05:00'
    (05:10 UTC) fell into a 10:00-11:00 UTC one."""
    epoch = dt.datetime(2026, 1, 10, 10, 20, tzinfo=UTC).timestamp()
    starts = [("plain", "2026-01-10 10:10:00"), ("plain-fraction", "2026-01-10 10:15:00.250"),
              ("with-t", "2026-01-10T10:30:00"), ("zulu", "2026-01-10T10:40:00Z"), ("epoch", int(epoch)),
              ("epoch-text", str(int(epoch) + 1)),
              ("epoch-real", epoch + 0.5), ("offset-outside", "2026-01-10 10:10:00+05:00"),
              ("offset-inside", "2026-01-10 12:50:00+02:00"), ("before", "2026-01-10 09:59:59.999"),
              ("after", "2026-01-10 11:00:00"), ("t-after", "2026-01-10T11:00:00"), ("null", None),
              ("garbage", "soon")]
    path = sqlite_tracking(tmp_path, [(uuid, "alice", "f", start, None, "SUCCESS") for uuid, start in starts],
                           start_type="")  # no type: a number stays a number
    with open_store(DbConfig(role="ingress", driver="sqlite", path=str(path), timezone="UTC")) as store:
        uuids = [row.uuid for row in store.rows_in_window(START, END)]
        assert store.count_in_window(START, END) == len(uuids)
    assert uuids == ["plain", "plain-fraction", "epoch", "epoch-real", "epoch-text", "with-t", "zulu", "offset-inside"]


FALL_BACK = ["01:50:00", "02:10:00", "02:30:00", "02:50:00", "03:10:00"]  # Berlin, 2026-10-25: 03:00 CEST → 02:00 CET
FALL_BACK_WINDOWS = [("2026-10-24T23:00:00", ["01:50:00"]),
                     ("2026-10-25T00:00:00", ["02:10:00", "02:30:00", "02:50:00"]),
                     ("2026-10-25T00:30:00", ["02:30:00", "02:50:00"]), ("2026-10-25T01:00:00", []),
                     ("2026-10-25T02:00:00", ["03:10:00"])]


def _hour_windows(store):
    """Each window of FALL_BACK_WINDOWS (an hour from its UTC start): the wall times of its rows."""
    found = []
    for start, _expected in FALL_BACK_WINDOWS:
        low = dt.datetime.fromisoformat(start).replace(tzinfo=UTC)
        found.append(sorted(row.start.astimezone(store.zone).strftime("%H:%M:%S")
                            for row in store.rows_in_window(low, low + dt.timedelta(hours=1))))
    return found


def test_windows_around_a_clock_going_back_hold_each_row_once_by_its_time(db_config, mariadb, tmp_path):
    """A stored wall time is read as its first occurrence (02:10 → 00:10 UTC). The windows' wall-time bounds
    collapsed ([02:00, 02:00) for 00:00-01:00 UTC: no row) or held rows of the windows beside them (02:10-02:50 for
    01:00-02:00 UTC): 0, 0 and 3 rows where 3, 2 and 0 belong."""
    expected = [wall for _start, wall in FALL_BACK_WINDOWS]
    rows = [(f"z{i}", "alice", "f", f"2026-10-25 {wall}", f"2026-10-25 {wall}", "SUCCESS")
            for i, wall in enumerate(FALL_BACK)]
    path = sqlite_tracking(tmp_path, rows)
    with open_store(DbConfig(role="ingress", driver="sqlite", path=str(path), timezone="Europe/Berlin")) as store:
        assert _hour_windows(store) == expected
    mariadb.create_database("fall_back")
    mariadb.execute("CREATE TABLE transfers (UUID VARCHAR(64), username VARCHAR(64), filename VARCHAR(255), "
                    "startTime DATETIME(6), endTime DATETIME(6), status VARCHAR(32))",
                    *[f"INSERT INTO transfers VALUES ('{r[0]}', 'alice', 'f', '{r[3]}', '{r[4]}', 'SUCCESS')"
                      for r in rows],
                    database="fall_back")
    config = db_config(user="root", password=mariadb.root_password, database="fall_back", timezone="Europe/Berlin")
    with open_store(config) as store:
        assert _hour_windows(store) == expected
