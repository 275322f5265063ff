"""The target's SQLite store is what fth.tracking (fth-report, fth-web) reads: while it runs and after."""

import datetime as dt

import requests

from fth.config.model import DbConfig
from fth.target import EGRESS_TABLE, INGRESS_TABLE
from fth.tracking import open_store


def test_tracking_store_reads_the_rows_while_the_target_runs_and_after(start_target):
    target = start_target(delay=(0.05, 0.05))
    before = dt.datetime.now().astimezone()
    for index in range(3):
        answer = requests.post(target.http_url, data=b"r" * index, auth=("reader-test", "x"),
                               headers={"X-Transaction-ID": f"s-{index}", "X-Filename": f"f{index}.txt"}, timeout=10)
        assert answer.status_code == 201
    assert target.wait_idle(20)
    after = dt.datetime.now().astimezone()
    tracking = target.tracking_yaml()
    ingress = DbConfig(role="ingress", driver="sqlite", path=tracking["ingress"]["path"], table=INGRESS_TABLE)
    egress = DbConfig(role="egress", driver="sqlite", path=tracking["egress"]["path"], table=EGRESS_TABLE)

    def check() -> None:
        with open_store(ingress) as store:
            store.check()
            rows = list(store.rows_in_window(before - dt.timedelta(seconds=1), after + dt.timedelta(seconds=1)))
            assert [(r.uuid, r.username, r.filename, r.status) for r in rows] == [
                (f"s-{i}", "reader-test", f"f{i}.txt", "SUCCESS") for i in range(3)]
            assert all(before - dt.timedelta(seconds=1) <= r.start <= r.end <= after for r in rows)
        with open_store(egress) as store:
            partners = store.rows_by_uuid([f"s-{i}" for i in range(3)])
            assert sorted(partners) == ["s-0", "s-1", "s-2"]
            assert store.usernames() == ["reader-test"]

    check()  # WAL mode, writer connected
    target.stop()
    check()  # back to a plain rollback-journal file
