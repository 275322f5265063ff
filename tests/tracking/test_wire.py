"""The MySQL rows read off the wire (fth.tracking.wire + RowBuilder) equal pymysql's own decoding, for
every column type, length encoding, packet split and broken time a tracking table can hold."""

import datetime as dt
import io

import pymysql
import pytest

from fth.config.model import DbConfig
from fth.tracking import TrackingError, open_store, wire
from fth.tracking.base import RowBuilder

UTC = dt.timezone.utc
WINDOW = (dt.datetime(1000, 1, 1, tzinfo=UTC), dt.datetime(9999, 1, 1, tzinfo=UTC))
ANY_TIME = (dt.datetime(1, 1, 2, tzinfo=UTC), dt.datetime(9999, 12, 30, tzinfo=UTC))


def _fields(row):
    return (row.uuid, row.username, row.filename, row.start_ts, row.end_ts, row.status, row.bad)


def _read_both(store_config, monkeypatch, reader):
    """What ``reader(store)`` gives through the wire path, and through pymysql's cursor."""
    with open_store(store_config) as store:
        fast = reader(store)
    with monkeypatch.context() as patch:
        patch.setattr(wire, "usable", lambda conn, cursor: False)
        with open_store(store_config) as store:
            slow = reader(store)
    return fast, slow


def _window_both(mariadb, monkeypatch, database):
    """Every row of ``database``'s table in WINDOW, through the wire path and through pymysql's cursor."""
    return _read_both(_root_config(mariadb, database), monkeypatch,
                      lambda store: [_fields(r) for r in store.rows_in_window(*WINDOW)])


def _root_config(mariadb, database, **changes):
    settings = {"role": "ingress", "host": "127.0.0.1", "port": mariadb.port, "user": "root",
                "password": mariadb.root_password, "database": database, "table": "transfers", "timezone": "+02:00"}
    settings.update(changes)
    return DbConfig(**settings)


@pytest.fixture(scope="module")
def odd_table(mariadb):
    """Rows that exercise every branch: NULLs, lengths over 250 and 65,535 bytes, every DATETIME
    precision, zero dates, text that is no time, seconds out of range, non-ASCII text."""
    mariadb.create_database("wire_odd")
    mariadb.execute(
        "CREATE TABLE transfers (UUID VARCHAR(64), username VARCHAR(64), filename MEDIUMTEXT, "
        "startTime DATETIME(6), endTime VARCHAR(40), status VARCHAR(32))",
        "SET SESSION sql_mode = ''",
        "INSERT INTO transfers VALUES "
        "('w-1', 'alice', 'a.dat', '2026-01-10 10:00:00.25', '2026-01-10 10:00:01.123456', ' success '), "
        "('w-2', NULL, NULL, '2026-01-10 10:00:00', NULL, NULL), "
        "(NULL, 'bob', REPEAT('x', 300), '2026-01-10 10:00:00.000001', '2026-01-10 10:00:00', 'FAILED'), "
        "('w-4', 'bob', REPEAT('y', 70000), '0000-00-00 00:00:00', '2026-01-10 10:00:60', 'TIMEOUT'), "
        "('w-5', 'ünïcødé', 'fïlé ✓.dat', '2026-01-10 10:00:00.5', '2026-01-10T10:00:00Z', 'SUCCESS'), "
        "('w-6', 'alice', 'b.dat', '2026-01-10 10:00:00.999999', '2026-01-10 10:00:00.1234567', 'SUCCESS'), "
        "('w-7', 'alice', 'c.dat', '1969-12-31 23:59:59.5', 'not a time', 'SUCCESS'), "
        "('w-8', 'alice', 'd.dat', '2026-01-10 10:00:00.5', '2026-01-10 10:00:00.', 'SUCCESS'), "
        "('w-9', 'alice', 'e.dat', '2026-01-10 10:00:00.5', '2026-01-10 10:00:00.5x', 'SUCCESS'), "
        "('w-10', 'alice', 'f.dat', '2026-01-10 10:00:00.5', '2026-01-10 10:00:00.5 ', 'SUCCESS'), "
        "('w-11', 'alice', 'g.dat', '2026-01-10 10:00:00.5', '2026-01-10 10:00:00 ', 'SUCCESS')",
        database="wire_odd")
    return "wire_odd"


def test_every_odd_row_reads_as_pymysql_decodes_it(mariadb, odd_table, monkeypatch):
    config = _root_config(mariadb, odd_table)

    def every_row(store):  # the zero date is in no window: looked up by UUID
        return [_fields(r) for r in store.rows_in_window(*ANY_TIME)] + [_fields(store.rows_by_uuid(["w-4"])["w-4"][0])]

    fast, slow = _read_both(config, monkeypatch, every_row)
    assert len(fast) == 11 and fast == slow
    rows = {row[0]: row for row in fast}
    assert rows[""][2] == "x" * 300 and rows["w-4"][2] == "y" * 70000  # 2- and 3-byte length prefixes
    assert rows["w-2"][1:3] == (None, None) and rows["w-2"][4:6] == (None, None)
    assert rows["w-5"][1:3] == ("ünïcødé", "fïlé ✓.dat") and rows["w-1"][5] == "SUCCESS"
    assert rows["w-1"][3] == 1768032000.25  # 10:00:00.25 at +02:00
    assert "startTime '0000-00-00 00:00:00.000000' is not a time" in rows["w-4"][6]
    assert "endTime '2026-01-10 10:00:60' is not a time" in rows["w-4"][6]
    assert rows["w-5"][4] == dt.datetime(2026, 1, 10, 10, tzinfo=UTC).timestamp()  # its own zone wins
    for uuid in ("w-7", "w-8", "w-9"):
        assert "is not a time" in rows[uuid][6]


def test_column_lengths_at_the_one_byte_edge_read_as_pymysql_decodes_them(mariadb, monkeypatch):
    """A row whose six columns each fit a one-byte length (under 251 bytes) is read unrolled, any other by the
    general loop: empty, 250- and 251-byte values in every text column, NULLs, and a row that has both."""
    mariadb.create_database("wire_edge")
    mariadb.execute(
        "CREATE TABLE transfers (UUID VARCHAR(300), username VARCHAR(300), filename VARCHAR(300), "
        "startTime DATETIME(6), endTime VARCHAR(300), status VARCHAR(300))",
        "SET SESSION sql_mode = ''",
        "INSERT INTO transfers SELECT CONCAT('e-', seq, REPEAT('u', IF(seq % 5 = 1, 250 - LENGTH(seq) - 2, 0))), "
        "CASE seq % 4 WHEN 0 THEN '' WHEN 1 THEN REPEAT('n', 250) WHEN 2 THEN REPEAT('n', 251) ELSE NULL END, "
        "CASE seq % 3 WHEN 0 THEN REPEAT('f', 250) WHEN 1 THEN REPEAT('f', 251) ELSE '' END, "
        "TIMESTAMP'2026-01-10 10:00:00' + INTERVAL seq SECOND, "
        "CASE seq % 7 WHEN 0 THEN NULL WHEN 1 THEN CONCAT('2026-01-10 11:00:00', REPEAT(' ', 231)) "
        "WHEN 2 THEN '' ELSE '2026-01-10 11:00:00.5' END, "
        "CASE seq % 6 WHEN 0 THEN REPEAT('S', 250) WHEN 1 THEN REPEAT('S', 251) WHEN 2 THEN '' "
        "WHEN 3 THEN NULL ELSE 'SUCCESS' END FROM seq_1_to_420",
        database="wire_edge")
    fast, slow = _window_both(mariadb, monkeypatch, "wire_edge")
    assert len(fast) == 420 and fast == slow
    for column in (1, 2, 5):  # the edges met in each text column
        assert {0, 250, 251} <= {len(row[column] or "") for row in fast}
    assert any(len(row[0]) == len(row[1] or "") == 250 and row[2] == "" for row in fast)  # one row, unrolled


def test_a_null_first_column_that_would_line_up_unrolled_is_read_by_its_lengths(mariadb, monkeypatch):
    """A NULL UUID (length byte 251) read as a length would put the next five lengths inside the username,
    which here spells five lengths that end exactly at the row's end: the row is still read as sent."""
    mariadb.create_database("wire_decoy")
    mariadb.execute(
        "CREATE TABLE transfers (UUID VARCHAR(64), username VARCHAR(300), filename VARCHAR(64), "
        "startTime DATETIME(6), endTime DATETIME(6), status VARCHAR(32))", database="wire_decoy")
    # the row: NULL (1 byte), the username's 3-byte length and 300 bytes, filename 'f' (2), startTime (27),
    # NULL endTime (1), status 'S' (2): 336 bytes. Read from byte 252 (= 251 + 1), the username's bytes 248-252
    # give four empty columns and one of 79 bytes, which ends at byte 336.
    username = "u" * 248 + "\0\0\0\0" + chr(79) + "u" * 47
    with pymysql.connect(host="127.0.0.1", port=mariadb.port, user="root", password=mariadb.root_password,
                         database="wire_decoy", autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO transfers VALUES (NULL, %s, 'f', '2026-01-10 10:00:00', NULL, 'S')", (username,))
    fast, slow = _window_both(mariadb, monkeypatch, "wire_decoy")
    assert fast == slow and fast[0][:3] == ("", username, "f")


def test_a_row_with_more_columns_than_asked_for_is_an_error():
    """Six short columns and a seventh: the unrolled reading checks it ends at the row's end."""
    from pymysql import err

    class Result:
        unbuffered_active = True

    packets = [bytes([1, 97] * 7)]
    data = b"".join(len(packet).to_bytes(3, "little") + bytes([seq]) + packet for seq, packet in enumerate(packets))

    class Conn:
        _next_seq_id = 0
        _rfile = io.BytesIO(data)

        def close(self):
            pass

    cursor = type("Cursor", (), {"_result": Result()})()
    with pytest.raises(err.OperationalError, match="holds more than 6 columns"):
        next(wire.raw_rows(Conn(), cursor, 6))


def test_the_second_cache_gives_the_slow_paths_floats(mariadb, monkeypatch):
    """Every microsecond of a second, in a fixed zone, as the first row of its second (parsed) and as a
    later one (from the cache): the same float as pymysql's text parsed by datetime."""
    mariadb.create_database("wire_micro")
    mariadb.execute(
        "CREATE TABLE transfers (UUID VARCHAR(64), username VARCHAR(64), filename VARCHAR(64), "
        "startTime DATETIME(6), endTime DATETIME(3), status VARCHAR(32))",
        "INSERT INTO transfers SELECT CONCAT('m-', seq), 'alice', 'm.dat', "
        "TIMESTAMP'2026-03-29 01:59:59' + INTERVAL seq * 997 MICROSECOND, "
        "TIMESTAMP'2038-01-19 03:14:07' + INTERVAL seq * 7 MICROSECOND, 'SUCCESS' FROM seq_0_to_3000",
        database="wire_micro")
    for zone in ("+05:30", "-08:00", "UTC"):
        config = _root_config(mariadb, "wire_micro", timezone=zone)
        fast, slow = _read_both(config, monkeypatch,
                                lambda store: [_fields(r) for r in store.rows_in_window(*ANY_TIME)])
        assert len(fast) == 3001 and fast == slow


def test_a_row_over_16_mib_spans_packets(mariadb, monkeypatch):
    mariadb.create_database("wire_big")
    mariadb.execute("SET GLOBAL max_allowed_packet = 64 * 1024 * 1024")
    mariadb.execute(
        "CREATE TABLE transfers (UUID VARCHAR(64), username VARCHAR(64), filename LONGTEXT, "
        "startTime DATETIME(6), endTime DATETIME(6), status VARCHAR(32))",
        "INSERT INTO transfers VALUES ('big-1', 'alice', REPEAT('z', 17000000), '2026-01-10 10:00:00', "
        "'2026-01-10 10:00:01', 'SUCCESS'), ('big-2', 'alice', 'after.dat', '2026-01-10 10:00:01', "
        "'2026-01-10 10:00:02', 'SUCCESS')",
        database="wire_big")
    fast, slow = _window_both(mariadb, monkeypatch, "wire_big")
    assert fast == slow and len(fast[0][2]) == 17_000_000 and fast[1][:3] == ("big-2", "alice", "after.dat")


def test_binary_uuids_and_numeric_times_go_through_pymysqls_converters(mariadb, monkeypatch):
    mariadb.create_database("wire_types")
    mariadb.execute(
        "CREATE TABLE transfers (UUID BINARY(16), username VARBINARY(64), filename VARBINARY(64), "
        "startTime BIGINT, endTime DOUBLE, status VARBINARY(32))",
        "INSERT INTO transfers VALUES (UNHEX('0123456789abcdef0123456789abcdef'), 'alice', 'a.dat', "
        "1768039200, 1768039201.125, 'SUCCESS'), (UNHEX('00000000000000000000000000000001'), 'bob', "
        "UNHEX('62ff2e646174'), 1768039300, NULL, UNHEX('ff4641494c4544'))",
        database="wire_types")
    config = _root_config(mariadb, "wire_types")
    uuids = ["01234567-89ab-cdef-0123-456789abcdef", "00000000-0000-0000-0000-000000000001"]

    def by_uuid(store):
        found = store.rows_by_uuid([bytes.fromhex(u.replace("-", "")) for u in uuids])
        return sorted(_fields(row) for rows in found.values() for row in rows)

    fast, slow = _read_both(config, monkeypatch, by_uuid)
    assert fast == slow and [row[0] for row in fast] == sorted(uuids)
    assert fast[1][3:5] == (1768039200.0, 1768039201.125)
    assert fast[1][1:3] == ("alice", "a.dat")  # binary names read as text: a report sorts and prints them
    assert fast[0][1:3] == ("bob", "b\ufffd.dat") and fast[0][5] == "\ufffdFAILED"  # a byte no UTF-8: U+FFFD


def test_rows_builder_needs_fixed_zones_for_its_cache():
    """A zone with rules (DST) never uses the cache: every row takes the datetime path."""
    from zoneinfo import ZoneInfo

    builder = RowBuilder(ZoneInfo("Europe/Berlin"), [("utf8", None)] * 6)
    row = [b"u", b"alice", b"f", b"2026-03-29 01:59:59.5", b"2026-03-29 03:00:00.5", b"SUCCESS"]
    first, second = builder.row(row), builder.row(row)
    assert builder.seconds == {} and first.start_ts == second.start_ts
    assert first.end_ts - first.start_ts == 1.0  # 02:00-03:00 does not exist that night


def test_a_connection_killed_mid_stream_is_a_tracking_error_and_the_store_recovers(mariadb):
    mariadb.create_database("wire_kill")
    mariadb.execute(
        "CREATE TABLE transfers (UUID VARCHAR(64), username VARCHAR(64), filename VARCHAR(255), "
        "startTime DATETIME(6), endTime DATETIME(6), status VARCHAR(32))",
        "INSERT INTO transfers SELECT CONCAT('k-', seq), 'alice', CONCAT(REPEAT('k', 200), seq), "
        "TIMESTAMP'2026-01-10 10:00:00' + INTERVAL seq MICROSECOND, NULL, 'SUCCESS' FROM seq_1_to_200000",
        database="wire_kill")
    config = _root_config(mariadb, "wire_kill")
    store = open_store(config).open()
    try:
        rows = store.rows_in_window(*WINDOW)
        assert next(rows).uuid == "k-1"
        killer = pymysql.connect(host="127.0.0.1", port=mariadb.port, user="root", password=mariadb.root_password)
        with killer.cursor() as cur:
            cur.execute("KILL CONNECTION %s", (store.conn.thread_id(),))
        killer.close()
        with pytest.raises(TrackingError) as caught:
            for _ in rows:
                pass
        assert "reading rows in the window failed" in str(caught.value)
        assert store.count_in_window(*WINDOW) == 200_000  # reconnected
    finally:
        store.close()


def test_abandoning_the_wire_stream_keeps_the_connection_in_step(mariadb, odd_table):
    config = _root_config(mariadb, odd_table)
    with open_store(config) as store:
        for _ in range(3):
            rows = store.rows_in_window(*ANY_TIME)
            next(rows)
            rows.close()
            assert store.count_in_window(*ANY_TIME) == 10


def test_usable_refuses_a_connection_without_the_expected_internals():
    class Bare:
        pass

    assert wire.usable(Bare(), Bare()) is False


def test_a_uuid_stored_as_16_bytes_is_found_by_its_text(mariadb, tmp_path):
    """Pairing reads a BINARY(16) UUID as its canonical text and looks late partners up by that text: it matched
    no row, so each transfer whose egress row began after the window was counted lost."""
    import sqlite3

    mariadb.create_database("uuid_bytes")
    mariadb.execute(
        "CREATE TABLE transfers (UUID BINARY(16), username VARCHAR(64), filename VARCHAR(64), "
        "startTime DATETIME(6), endTime DATETIME(6), status VARCHAR(32), KEY (UUID))",
        "INSERT INTO transfers VALUES (UNHEX('0123456789abcdef0123456789abcdef'), 'alice', 'a.dat', "
        "'2026-01-10 12:00:00', '2026-01-10 12:00:01', 'SUCCESS')",
        "CREATE TABLE texts LIKE transfers", "ALTER TABLE texts MODIFY UUID CHAR(36)",
        "INSERT INTO texts VALUES ('0123456789abcdef0123456789abcdef', 'bob', 'b.dat', '2026-01-10 12:00:00', "
        "NULL, 'SUCCESS')", database="uuid_bytes")
    text = "01234567-89ab-cdef-0123-456789abcdef"
    with open_store(_root_config(mariadb, "uuid_bytes")) as store:
        assert store.binary_uuids() is True
        assert [(row.uuid, row.username) for row in store.rows_by_uuid([text, "not-a-uuid"])[text]] == [(text, "alice")]
    with open_store(_root_config(mariadb, "uuid_bytes", table="texts")) as store:
        assert store.binary_uuids() is False  # a text column is not asked for bytes
        assert store.rows_by_uuid([text]) == {}
        assert [row.username for row in store.rows_by_uuid(["0123456789abcdef0123456789abcdef"])[
            "0123456789abcdef0123456789abcdef"]] == ["bob"]
    path = tmp_path / "blob.db"
    conn = sqlite3.connect(path)
    conn.execute('CREATE TABLE transfers ("UUID", username, filename, "startTime", "endTime", status)')
    conn.execute("INSERT INTO transfers VALUES (?, 'carol', 'c.dat', '2026-01-10 12:00:00', NULL, 'SUCCESS')",
                 (bytes.fromhex("0123456789abcdef0123456789abcdef"),))
    conn.commit()
    conn.close()
    with open_store(DbConfig(role="egress", driver="sqlite", path=str(path), timezone="UTC")) as store:
        assert [row.username for row in store.rows_by_uuid([text])[text]] == ["carol"]
