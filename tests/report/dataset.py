"""The known-answer tracking data set, loaded into a real MariaDB by the ``tracking_db`` fixture."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple

SQL_DIR = Path(__file__).resolve().parents[2] / "contrib" / "sql"
SCRIPT_NAME = "<script>alert(1)</script>.dat"
UNICODE_NAME = "ünïcødé 文件 \u2028.dat"
SPAN = "2026-01-10T10:00:00+00:00 .. 2026-01-10T11:00:00+00:00"
READER, READER_PW = "fth_reader", "reader-pw"

Row = Tuple[str, Optional[str], Optional[str], str, Optional[str], Optional[str]]


def t(clock: str) -> str:
    return f"2026-01-10 {clock}"


# (UUID, username, filename, startTime, endTime, status)  — times UTC
INGRESS: List[Row] = [
    ("u-a1", "alice", "a1.dat", t("10:00:00"), t("10:00:00.500"), "SUCCESS"),
    ("u-a2", "alice", "a2.dat", t("10:05:00"), t("10:05:01"), "SUCCESS"),
    ("u-a3", "alice", SCRIPT_NAME, t("10:10:00"), t("10:10:01"), "SUCCESS"),
    ("u-a4", "alice", UNICODE_NAME, t("10:15:00"), t("10:15:01"), "FAILED"),
    ("u-b1", "bob", "b1.dat", t("10:20:00"), t("10:20:00.200"), "SUCCESS"),
    ("u-b2", "bob", "b2.dat", t("10:59:00"), t("10:59:01"), "SUCCESS"),
    ("u-c1", "carol", "c1.dat", t("10:30:00"), t("10:30:01"), "SUCCESS"),
    ("u-io1", "alice", "lost.dat", t("10:40:00"), t("10:40:01"), "SUCCESS"),
    ("u-io2", "dave", "dave.dat", t("10:50:00"), t("10:50:01"), "SUCCESS"),
    ("u-early", "alice", "early.dat", t("09:59:00"), t("09:59:01"), "SUCCESS"),
    ("u-out", "alice", "out.dat", t("09:00:00"), t("09:00:01"), "SUCCESS"),
]
EGRESS: List[Row] = [
    ("u-a1", "alice", "a1.dat", t("10:00:01"), t("10:00:02"), "SUCCESS"),
    ("u-a2", "alice", "a2.dat", t("10:05:02"), t("10:05:04"), "SUCCESS"),
    ("u-a3", "alice", SCRIPT_NAME, t("10:10:02"), t("10:10:06"), "FAILED"),
    ("u-a4", "alice", UNICODE_NAME, t("10:15:02"), t("10:15:10"), "TIMEOUT"),
    ("u-b1", "bob", "b1.dat", t("10:20:00.500"), t("10:20:01"), "SUCCESS"),
    ("u-b2", "bob", "b2.dat", t("11:00:30"), t("11:01:00"), "SUCCESS"),  # after the window
    ("u-c1", "carol", "c1.dat", t("10:30:01"), t("10:30:03"), "SUCCESS"),
    ("u-eo1", "bob", "ghost.dat", t("10:45:00"), t("10:45:05"), "SUCCESS"),  # no ingress row
    ("u-early", "alice", "early.dat", t("10:00:10"), t("10:00:20"), "SUCCESS"),  # ingress before window
    ("u-out", "alice", "out.dat", t("09:00:02"), t("09:00:03"), "SUCCESS"),
]
# known answers
TRANSITS = {"u-a1": 2.0, "u-a2": 4.0, "u-a3": 6.0, "u-a4": 10.0, "u-b1": 1.0, "u-b2": 120.0, "u-c1": 3.0}
PASSED, FAILED, TIMED_OUT = 5, 1, 1
INGRESS_ONLY, EGRESS_ONLY = ["u-io1", "u-io2"], ["u-eo1"]
UNKNOWN_USERS = [{"username": "carol", "rows": 1}, {"username": "dave", "rows": 1}]

CONFIG = """\
jobs:
  - name: orders-http
    protocol: http
    username: alice
    source: ./nowhere
    rate: 10/min
    url: http://127.0.0.1:9/upload
  - name: partner-sftp
    protocol: sftp
    username: bob
    source: ./nowhere
    rate: 10/min
    host: 127.0.0.1
    password: x
tracking:
  timezone: UTC
  defaults: {{host: 127.0.0.1, port: {port}, user: {user}, password_env: FTH_TEST_READER_PW}}
  ingress: {{database: {ingress}, table: {table}}}
  egress:  {{database: {egress}, table: {table}}}
"""


@dataclass
class TrackingDb:
    server: object
    ingress: str
    egress: str
    table: str
    config_path: Path

    def ts(self) -> dt.datetime:
        return dt.datetime(2026, 1, 10, 10, 0, tzinfo=dt.timezone.utc)


def create_tables(server, database: str, table: str = "transfers") -> None:
    ddl = (SQL_DIR / "tracking_tables.sql").read_text(encoding="utf-8")
    ddl = "\n".join(line for line in ddl.splitlines() if not line.lstrip().startswith("--"))
    ddl = ddl.replace("`transfers`", f"`{table}`")
    server.create_database(database)
    server.execute(ddl.strip().rstrip(";"), database=database)


def insert_rows(server, database: str, rows: List[Row], table: str = "transfers") -> None:
    conn = server.connect(database)
    try:
        with conn.cursor() as cur:
            sql = f"INSERT INTO `{table}` (UUID, username, filename, startTime, endTime, status) VALUES "
            cur.executemany(sql + "(%s, %s, %s, %s, %s, %s)", rows)
    finally:
        conn.close()


def load(server, tmp_dir: Path, prefix: str = "ka") -> TrackingDb:
    ingress, egress = f"{prefix}_ingress", f"{prefix}_egress"
    for database, rows in ((ingress, INGRESS), (egress, EGRESS)):
        create_tables(server, database)
        insert_rows(server, database, rows)
    server.create_user(READER, READER_PW, [f"GRANT SELECT ON `{ingress}`.* TO {{user}}",
                                           f"GRANT SELECT ON `{egress}`.* TO {{user}}"])
    config = tmp_dir / "job.yml"
    config.write_text(CONFIG.format(port=server.port, user=READER, ingress=ingress, egress=egress,
                                    table="transfers"), encoding="utf-8")
    return TrackingDb(server, ingress, egress, "transfers", config)


def embedded_rows(html: str) -> List[list]:
    """The report's embedded transaction list (``id="tx-data"``), interned texts resolved as the page's script does."""
    data = json.loads(html.split('id="tx-data">', 1)[1].split("</script>", 1)[0])
    rows = data["rows"]
    for row in rows:
        for column in (1, 2, 6, 7, 8, 9):
            row[column] = data["strings"][row[column]]
    return rows
