"""The target's MySQL sinks use fth.tracking's connection and zone probe and fth.config's SQL-name check."""

import datetime as dt
import re
import uuid
from pathlib import Path

import pytest

from fth.config.model import DbConfig
from fth.errors import FthError
from fth.target.records import Arrival, Outcome
from fth.target.sinks import DashboardSink, MySQLPairSink

REPO = Path(__file__).resolve().parents[2]


def _sources():
    for root in ("fth", "fth_web"):
        for path in sorted((REPO / root).rglob("*.py")):
            yield path.relative_to(REPO).as_posix(), path.read_text(encoding="utf-8")


@pytest.mark.parametrize("pattern, home", [
    (r"pymysql\.connect\(", "fth/tracking/mysql.py"),
    (r"UTC_TIMESTAMP\(\)", "fth/tracking/mysql.py"),
    (r"\[A-Za-z_\]\[A-Za-z0-9_\$\]", "fth/config/loader.py"),
])
def test_one_connect_one_zone_probe_one_sql_name_check(pattern, home):
    assert [path for path, text in _sources() if re.search(pattern, text)] == [home]


def _arrival(start: dt.datetime) -> Arrival:
    return Arrival(uuid=str(uuid.uuid4()), username="alice", filename="a.bin", size=10, start=start,
                   end=start + dt.timedelta(seconds=1), protocol="http")


def test_pair_and_dashboard_sinks_write_in_the_sessions_zone(mariadb):
    name = mariadb.create_database("fth_sink_" + uuid.uuid4().hex[:6])
    try:
        db = DbConfig(role="ingress", host=mariadb.host, port=mariadb.port, user="root",
                      password=mariadb.root_password, database=name, table="transfers")
        start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(minutes=5)
        arrivals = [_arrival(start), _arrival(start)]
        pair = MySQLPairSink(db, "ingress", create=True)
        dash = DashboardSink(DbConfig(role="dashboard", host=mariadb.host, port=mariadb.port, user="root",
                                      password=mariadb.root_password, database=name, table="transactions"),
                             "in-1", "out-1", create=True)
        for sink in (pair, dash):
            sink.open()
        try:
            pair.write(arrivals, [])
            dash.write(arrivals, [Outcome(arrivals[0], "SUCCESS", start + dt.timedelta(seconds=3))])
        finally:
            pair.close()
            dash.close()
        conn = mariadb.connect(name)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW())")
                offset = dt.timedelta(minutes=int(cur.fetchone()[0]))
                cur.execute("SELECT UUID, startTime FROM transfers")
                stored = cur.fetchall()
                cur.execute("SELECT status, COUNT(*) FROM transactions GROUP BY status ORDER BY status")
                statuses = cur.fetchall()
        finally:
            conn.close()
        wall = (start + offset).replace(tzinfo=None)
        assert sorted(stored) == sorted((a.uuid, wall) for a in arrivals)
        assert sorted(statuses) == [("COMPLETE", 1), ("SUBMITTED", 1)]
    finally:
        mariadb.execute(f"DROP DATABASE IF EXISTS `{name}`")


def test_a_bad_table_name_is_refused_by_the_one_check():
    db = DbConfig(role="ingress", host="127.0.0.1", port=1, user="u", database="d", table="x; DROP")
    with pytest.raises(FthError, match="is not a plain SQL name"):
        MySQLPairSink(db, "ingress").ddl()
