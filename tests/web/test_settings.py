"""Settings: YAML web: section < .env < FTH_WEB_* < flags, with located errors; the CLI."""
# ruff: noqa: S104  (test credentials and addresses)

import pytest

from fth.errors import ConfigError, UsageError
from fth.main import web_main
from fth_web import create_app
from fth_web.cli import build_parser, flags_from
from fth_web.settings import load_env_file, load_settings

WEB_ONLY = """\
web:
  host: 0.0.0.0
  port: 9090
  layout: dashboard
  mock: {enabled: true, rate: 120/min}
  database: {host: db.example, user: monitor, password_env: FTH_TEST_DB_PW, database: dashboard}
  features: {admin: yes, copy: off}
  retry: {initial: 2s, max: 1m}
  rows: {choices: [50, 100, 200, 400], default: 100, max: 400}
"""


def write(tmp_path, text, name="job.yml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_defaults():
    settings = load_settings(environ={})
    assert (settings.host, settings.port, settings.layout, settings.mock) == ("127.0.0.1", 8080, "dashboard", False)
    assert settings.limits.refresh_choices == (1, 3, 5, 10) and settings.limits.refresh_default == 3
    assert settings.limits.row_choices == (50, 100, 200) and settings.limits.row_default == 50
    assert settings.features.admin is False


def test_pair_layout_defaults():
    settings = load_settings(environ={}, flags={"layout": "pair"})
    assert settings.limits.refresh_min == 5 and settings.limits.refresh_max == 60
    assert settings.limits.row_default == 100 and settings.limits.row_max == 1000


def test_yaml_section(tmp_path, monkeypatch):
    monkeypatch.setenv("FTH_TEST_DB_PW", "s3cret")
    settings = load_settings(write(tmp_path, WEB_ONLY), environ={})
    assert (settings.host, settings.port, settings.mock, settings.mock_rate) == ("0.0.0.0", 9090, True, 2.0)
    assert settings.database.password == "s3cret" and settings.database.host == "db.example"
    assert "s3cret" not in settings.database.describe()
    assert settings.features.admin is True and settings.features.copy is False
    assert (settings.retry.initial, settings.retry.max) == (2.0, 60.0)
    assert settings.limits.row_choices == (50, 100, 200, 400) and settings.limits.row_default == 100


def test_precedence_env_over_yaml_and_flags_over_env(tmp_path, monkeypatch):
    monkeypatch.setenv("FTH_TEST_DB_PW", "x")
    path = write(tmp_path, WEB_ONLY)
    env = {"FTH_WEB_PORT": "7070", "FTH_WEB_HOST": "10.0.0.1", "FTH_WEB_DB_USER": "envuser"}
    settings = load_settings(path, environ=env)
    assert (settings.port, settings.host, settings.database.user) == (7070, "10.0.0.1", "envuser")
    settings = load_settings(path, environ=env, flags={"port": 6060, "host": None})
    assert (settings.port, settings.host) == (6060, "10.0.0.1")


def test_env_file_does_not_override_environment(tmp_path, monkeypatch):
    env_file = write(tmp_path, "FTH_WEB_PORT=5151\nFTH_WEB_DB_USER=fromfile\n", ".env")
    monkeypatch.setenv("FTH_WEB_DB_USER", "fromenv")
    monkeypatch.delenv("FTH_WEB_PORT", raising=False)
    load_env_file(env_file)
    try:
        settings = load_settings()
        assert settings.port == 5151 and settings.database.user == "fromenv"
    finally:
        monkeypatch.delenv("FTH_WEB_PORT", raising=False)


def test_missing_env_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="env file not found"):
        load_env_file(str(tmp_path / "nope.env"))


@pytest.mark.parametrize("text, line, needle", [
    ("web:\n  port: eighty\n", 2, "web.port"),
    ("web:\n  layout: grid\n", 2, "web.layout"),
    ("web:\n  refersh: {default: 3}\n", 2, "did you mean"),
    ("web:\n  refresh: {default: 7}\n", 2, "web.refresh.default"),
    ("web:\n  rows:\n    choices: [50, 5000]\n", 3, "web.rows.choices"),
    ("web:\n  mock: {rate: fast}\n", 2, "web.mock.rate"),
])
def test_bad_yaml_is_located(tmp_path, text, line, needle):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    message = str(info.value) + " " + (info.value.hint or "")
    assert f"{path}:{line}" in message and needle in message


def test_bad_environment_value_names_the_variable():
    with pytest.raises(UsageError, match="FTH_WEB_PORT"):
        load_settings(environ={"FTH_WEB_PORT": "http"})


def test_secret_key_is_random_per_app_unless_configured():
    from fth_web.settings import WebSettings

    first, second = create_app(WebSettings(mock=True)), create_app(WebSettings(mock=True))
    assert first.secret_key != second.secret_key and len(first.secret_key) >= 32
    assert create_app(WebSettings(mock=True, secret_key="configured")).secret_key == "configured"
    assert load_settings(environ={"FTH_WEB_SECRET_KEY": "from-env"}).secret_key == "from-env"


def test_parser_flags():
    args = build_parser().parse_args(["--mock", "--port", "0", "--layout", "PAIR", "-vv"])
    assert flags_from(args) == {"host": None, "port": 0, "layout": "pair", "mock": True}
    assert args.verbose == 2
    assert flags_from(build_parser().parse_args([]))["mock"] is None


def test_cli_bad_layout_exits_2(capsys):
    assert web_main(["--layout", "grid"]) == 2
    assert "unknown layout" in capsys.readouterr().err


def test_cli_bad_config_exits_2_with_location(tmp_path, capsys):
    path = write(tmp_path, "web:\n  port: 99999\n")
    assert web_main(["-c", path]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2" in err and "web.port" in err and "Traceback" not in err


def test_cli_port_in_use_is_a_clear_error(capsys):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        assert web_main(["--mock", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err
    # the port is checked first: nothing before the error tells the user where to look
    assert "in a browser" not in err and "layout" not in err


def test_example_env_does_not_override_the_job_files_layout(tmp_path):
    from pathlib import Path

    from dotenv import dotenv_values

    values = dotenv_values(Path(__file__).resolve().parents[2] / "fth_web" / "example.env")
    environ = {k: v for k, v in values.items() if v is not None}
    assert load_settings(write(tmp_path, "web:\n  layout: pair\n"), environ=environ).layout == "pair"


def test_example_env_file_is_valid():
    from pathlib import Path

    from dotenv import dotenv_values

    values = dotenv_values(Path(__file__).resolve().parents[2] / "fth_web" / "example.env")
    assert all(key.startswith("FTH_WEB_") for key in values)
    settings = load_settings(environ={k: v for k, v in values.items() if v is not None})
    assert settings.database.user == "monitor" and settings.database_configured
    assert settings.mock is False and settings.mock_rate == 5.0 and settings.features.admin is False


@pytest.mark.parametrize("value, seconds", [("1s", 1.0), ("500ms", 0.5), ("0", 0.0), ("off", 0.0), ("0s", 0.0)])
def test_cache_setting(tmp_path, value, seconds):
    assert load_settings(write(tmp_path, f"web:\n  cache: {value}\n"), environ={}).cache_s == seconds


def _job_file(tmp_path, web_text, users=("alice", "bob")):
    source = tmp_path / "files"
    source.mkdir(exist_ok=True)
    (source / "a.txt").write_text("x")  # fth --check refuses a source without files, as the run does
    jobs = "".join(f"  - {{name: job-{n}, protocol: http, username: {user}, source: {source}, rate: 1/s, "
                   f"url: 'http://127.0.0.1:9/'}}\n" for n, user in enumerate(users))
    return write(tmp_path, "jobs:\n" + jobs + web_text)


def test_every_command_rejects_a_bad_web_section_with_its_location(tmp_path, capsys):
    from fth.main import fth_main, report_main

    path = _job_file(tmp_path, "tracking:\n  ingress: {driver: sqlite, path: x.db}\n"
                               "  egress: {driver: sqlite, path: x.db}\nweb:\n  layout: dashbord\n")
    for main, argv in ((fth_main, ["-c", path, "--check"]), (web_main, ["-c", path]),
                       (report_main, ["-c", path, "--since", "1h", "-o", str(tmp_path / "r.html")])):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert f"{path}:8" in err and "web.layout" in err and "dashbord" in err and "Traceback" not in err


def test_check_warns_about_jobs_sharing_a_username(tmp_path, capsys):
    from fth.main import fth_main

    path = _job_file(tmp_path, "", users=("shared", "shared"))
    assert fth_main(["-c", path, "--check", "--no-color"]) == 0
    captured = capsys.readouterr()
    assert "configuration OK" in captured.out
    assert "jobs job-0, job-1 share username 'shared'" in captured.err and "'job-0 + job-1'" in captured.err


def test_layout_follows_the_file_when_not_given(tmp_path):
    tracking = "tracking:\n  ingress: {driver: sqlite, path: x.db}\n  egress: {driver: sqlite, path: x.db}\n"
    assert load_settings(write(tmp_path, tracking), environ={}).layout == "pair"
    both = tracking + "web:\n  database: {user: monitor, password: pw}\n"
    assert load_settings(write(tmp_path, both), environ={}).layout == "dashboard"
    assert load_settings(write(tmp_path, tracking), environ={"FTH_WEB_LAYOUT": "dashboard"}).layout == "dashboard"
    assert load_settings(environ={}).layout == "dashboard"  # nothing configured: the example rows


def test_dashboard_database_takes_the_tracking_options(tmp_path):
    """One database parser: TLS, timeouts and name checks apply to the dashboard database too."""
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    text = f"web:\n  database: {{user: monitor, ssl_ca: {ca}, ssl_verify: false, read_timeout: 5s}}\n"
    db = load_settings(write(tmp_path, text), environ={}).database
    assert (db.role, db.database, db.table, db.ssl_ca, db.ssl_verify, db.read_timeout) == (
        "dashboard", "dashboard", "transactions", str(ca), False, 5.0)
    with pytest.raises(ConfigError, match=r"web\.database\.table"):
        load_settings(write(tmp_path, "web:\n  database: {user: m, table: 'a; DROP'}\n"), environ={})
    with pytest.raises(ConfigError, match=r"web\.database\.driver"):
        load_settings(write(tmp_path, "web:\n  database: {user: m, driver: sqlite}\n"), environ={})
    with pytest.raises(UsageError, match="FTH_WEB_DB_TABLE"):
        load_settings(environ={"FTH_WEB_DB_TABLE": "a`b"})


def test_cli_help_version_and_did_you_mean(capsys):
    assert web_main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("fth-web ")
    assert web_main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "FTH_WEB_PORT" in out and "exit status: 0" in out and "--log-file" in out
    assert web_main(["--layot", "pair"]) == 2
    assert "did you mean --layout?" in capsys.readouterr().err
