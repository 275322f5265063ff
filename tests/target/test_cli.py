"""fth-target's command line: value parsing, settings from flags and job files, a real run stopped by SIGTERM."""

import os
import signal
import socket
import sqlite3
import stat

import gevent
import pytest
import requests
import yaml

from fth.errors import UsageError
from fth.main import target_main
from fth.target import Target, TargetSettings
from fth.target.cli import build_parser, dashboard_db, describe, settings_from_args
from fth.target.settings import Mix, parse_capacity, parse_delay, parse_fraction, parse_mix
from tests.fixtures.mariadb import free_port


@pytest.mark.parametrize("text, expected", [("0.5s..3s", (0.5, 3.0)), ("2s", (2.0, 2.0)), ("500ms-2s", (0.5, 2.0)),
                                            ("0", (0.0, 0.0)), (" 1 .. 1m ", (1.0, 60.0)), ("1s to 2s", (1.0, 2.0))])
def test_parse_delay(text, expected):
    assert parse_delay(text) == expected


@pytest.mark.parametrize("text", ["abc", "3s..1s", "1s..2s..3s", ""])
def test_parse_delay_rejects(text):
    with pytest.raises(ValueError):
        parse_delay(text)


def test_parse_mix_fraction_capacity():
    assert parse_mix("90/7/3") == Mix(0.9, 0.07, 0.03)
    assert parse_mix("1, 1, 2") == Mix(0.25, 0.25, 0.5)
    for bad in ("90/10", "0/0/0", "-1/1/1", "a/b/c"):
        with pytest.raises(ValueError):
            parse_mix(bad)
    assert parse_fraction("1%") == pytest.approx(0.01)
    assert parse_fraction("0.5") == 0.5
    with pytest.raises(ValueError):
        parse_fraction("150%")
    assert parse_capacity("50/s") == 50.0
    assert parse_capacity("600 / min") == 10.0
    assert parse_capacity("none") is None


def test_defaults(monkeypatch, state_home):
    for name in list(os.environ):
        if name.startswith("FTH_TARGET_"):
            monkeypatch.delenv(name)
    settings = settings_from_args(build_parser().parse_args([]))
    assert settings.http == ("127.0.0.1", 8880) and settings.sftp == ("127.0.0.1", 8822)
    state = state_home / "fth" / "target"  # $XDG_STATE_HOME/fth/target, whatever the current directory
    assert settings.state_dir == str(state) and stat.S_IMODE(state.stat().st_mode) == 0o700
    assert settings.store == str(state / "fth-target.sqlite") and settings.host_key == str(state / "host.key")
    assert settings.sftp_password == "demo" and settings.password is None
    assert settings.uuid_header == "X-Transaction-ID"
    assert settings.delay == (0.5, 3.0) and settings.mix == Mix(0.9, 0.07, 0.03)
    assert settings.capacity is None and settings.drop == 0.0 and settings.upload_dir is None


def test_flags():
    args = build_parser().parse_args(["--http", "127.0.0.2:9000", "--sftp", "off", "--password", "pw", "--drop", "2%",
                                      "--capacity", "5/s", "--mix", "80/10/10", "--store", "x.sqlite"])
    settings = settings_from_args(args)
    assert settings.http == ("127.0.0.2", 9000) and settings.sftp is None
    assert settings.password == settings.sftp_password == "pw"
    assert settings.drop == 0.02 and settings.capacity == 5.0 and settings.store == "x.sqlite"
    assert settings.idle_timeout == 60.0
    assert settings_from_args(build_parser().parse_args(["--idle-timeout", "2min"])).idle_timeout == 120.0


def test_tracking_config_mysql_and_sqlite(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    job = {"name": "j", "protocol": "http", "username": "u", "source": str(source), "rate": "1/s",
           "url": "http://127.0.0.1:8880/upload"}
    mysql = tmp_path / "mysql.yml"
    mysql.write_text(yaml.safe_dump({"jobs": [job], "tracking": {
        "ingress": {"host": "db1", "user": "reader", "password": "r", "database": "ingress"},
        "egress": {"host": "db2", "user": "reader", "password": "r", "database": "egress", "table": "out"}}}))
    settings = settings_from_args(build_parser().parse_args(
        ["--tracking-config", str(mysql), "--db-user", "writer", "--db-password", "w"]))
    assert settings.store is None
    assert (settings.ingress_db.host, settings.ingress_db.user, settings.ingress_db.password) == ("db1", "writer", "w")
    assert (settings.egress_db.database, settings.egress_db.table) == ("egress", "out")

    lite = tmp_path / "lite.yml"
    lite.write_text(yaml.safe_dump({"jobs": [job], "tracking": {
        "ingress": {"driver": "sqlite", "path": "rows.sqlite", "table": "i"},
        "egress": {"driver": "sqlite", "path": "rows.sqlite", "table": "e"}}}))
    settings = settings_from_args(build_parser().parse_args(["--tracking-config", str(lite)]))
    assert settings.store == str(tmp_path / "rows.sqlite") and settings.store_tables == ("i", "e")


def test_dashboard_url():
    db = dashboard_db("mysql://writer@db.example:3307/dash", "secret")
    assert (db.host, db.port, db.user, db.password, db.database, db.table) == (
        "db.example", 3307, "writer", "secret", "dash", "transactions")
    assert dashboard_db("mysql://w:p%40ss@h/d/tx", None).password == "p@ss"
    with pytest.raises(UsageError):
        dashboard_db("postgres://h/d", None)


def test_usage_errors_exit_2(capsys):
    assert target_main(["--delay", "soon"]) == 2
    assert "soon" in capsys.readouterr().err
    assert target_main(["--http", "off", "--sftp", "off"]) == 2
    assert "both listeners are off" in capsys.readouterr().err
    for timeout in ("0", "0s", "soon", "-5s"):
        assert target_main([f"--idle-timeout={timeout}"]) == 2
        assert f"--idle-timeout: {timeout!r}" in capsys.readouterr().err


def test_run_until_sigterm(tmp_path, capsys):
    http_port, sftp_port = free_port(), free_port()
    store = tmp_path / "rows.sqlite"

    def client() -> int:
        for _ in range(500):
            try:
                return requests.post(f"http://127.0.0.1:{http_port}/in", data=b"abc", timeout=5,
                                     headers={"X-Username": "cli"}).status_code
            except requests.ConnectionError:
                gevent.sleep(0.02)
        return 0

    def then_stop(greenlet) -> None:
        os.kill(os.getpid(), signal.SIGTERM)

    sender = gevent.spawn(client)
    sender.link(then_stop)
    status = target_main(["--http", str(http_port), "--sftp", str(sftp_port), "--store", str(store),
                          "--delay", "0", "--no-color"])
    assert sender.value == 201
    assert status == 0
    out = capsys.readouterr().out
    assert f"http://127.0.0.1:{http_port}/upload" in out and f"127.0.0.1:{sftp_port}" in out
    assert "fth-target stopped: 1 accepted" in out
    conn = sqlite3.connect(str(store))
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # plain file again after stop
        assert conn.execute("SELECT username FROM ingress_transfers").fetchall() == [("cli",)]
    finally:
        conn.close()


@pytest.mark.parametrize("listener", ["http", "sftp"])
def test_port_in_use_names_the_port_and_exits_2(tmp_path, capsys, listener):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        flags = {"http": "0", "sftp": "0", listener: str(port)}
        assert target_main(["--http", flags["http"], "--sftp", flags["sftp"], "--state-dir", str(tmp_path),
                            "-q"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"fth-target: error: cannot listen for {listener.upper()} on 127.0.0.1:{port}: " \
                     "Address already in use"
    assert err[1] == f"fth-target: hint: another fth-target running? stop it, or pick another port with " \
                     f"--{listener} [HOST:]PORT"


def test_state_lives_in_one_directory_wherever_the_target_starts(tmp_path, monkeypatch, state_home):
    """Started elsewhere, it used to make a new host key (clients: host key CHANGED) and a new store."""
    lines = []
    for cwd in ("a", "b"):
        (tmp_path / cwd).mkdir()
        monkeypatch.chdir(tmp_path / cwd)
        settings = settings_from_args(build_parser().parse_args(["--http", "0", "--sftp", "0", "--delay", "0"]))
        with Target(settings) as target:
            lines.append(target.sftp_known_hosts_line.split(" ", 1)[1])
            assert target.store_path == str(state_home / "fth" / "target" / "fth-target.sqlite")
            described = describe(target)
    assert lines[0] == lines[1]
    assert list((tmp_path / "a").iterdir()) == [] and list((tmp_path / "b").iterdir()) == []
    assert f"  state  {state_home / 'fth' / 'target'}" in described
    assert any("ssh-keygen -R '[127.0.0.1]:" in line for line in described)
    other = tmp_path / "other-state"
    settings = settings_from_args(build_parser().parse_args(["--state-dir", str(other), "--host-key",
                                                             str(tmp_path / "k")]))
    assert settings.store == str(other / "fth-target.sqlite") and settings.host_key == str(tmp_path / "k")


def test_unreachable_mysql_is_a_clear_error(tmp_path, capsys):
    assert target_main(["--http", "0", "--sftp", "0", "--store", "off", "--dashboard",
                        "mysql://writer@127.0.0.1:1/dash"]) == 1
    err = capsys.readouterr().err
    assert "cannot connect to dashboard writer@127.0.0.1:1/dash.transactions" in err


def test_https(tmp_path, tls_files):
    settings = TargetSettings(http=("127.0.0.1", 0), sftp=None, store=str(tmp_path / "s.sqlite"), delay=(0, 0),
                              tls_cert=tls_files.server_cert, tls_key=tls_files.server_key)
    with Target(settings) as target:
        assert target.http_url.startswith("https://127.0.0.1:")
        answer = requests.post(target.http_url, data=b"tls", verify=tls_files.ca_cert, timeout=10)
        assert answer.status_code == 201
