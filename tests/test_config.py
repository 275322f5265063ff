"""The config loader: forgiving where it can be, precise where it must refuse."""

import pytest

from fth.config import load_run_config
from fth.errors import ConfigError

GOOD_JOB = """\
jobs:
  - name: orders
    protocol: http
    username: alice
    source: {source}
    rate: 20/s
    url: http://127.0.0.1:9/upload
"""


@pytest.fixture
def config_text(source_dir):
    return GOOD_JOB.format(source=source_dir)


def test_forgiving_values_are_accepted(tmp_path, source_dir):
    path = tmp_path / "job.yml"
    path.write_text(f"""\
duration: " 1h30m "
jobs:
  - name: orders
    protocol: HTTP
    username: "  alice "
    source: {{path: {source_dir}, order: Random, recursive: yes}}
    rate: 120 / Hour
    mode: " Fire "
    method: post
    url: http://127.0.0.1:9/upload
    stop_on:
      - {{failure_rate: 5%, window: 1m}}
""")
    config = load_run_config(str(path))
    job = config.jobs[0]
    assert config.duration == 5400
    assert job.protocol == "http" and job.mode == "fire" and job.username == "alice" and job.method == "POST"
    assert job.rate == pytest.approx(120 / 3600)
    assert job.source.order == "random" and job.source.recursive is True
    assert job.stop_on[0].threshold == pytest.approx(0.05) and job.stop_on[0].window == 60


def test_secrets_come_from_the_environment(tmp_path, config_text, monkeypatch):
    monkeypatch.setenv("FTH_TEST_PW", "from-env")
    path = tmp_path / "job.yml"
    path.write_text(config_text + "    password_env: FTH_TEST_PW\n")
    assert load_run_config(str(path)).jobs[0].password == "from-env"


def test_step_ramp_becomes_stages(tmp_path, config_text):
    path = tmp_path / "job.yml"
    ramp = "    ramp: {start: 10/s, step: 10/s, every: 30s, until: 30/s}\n"
    path.write_text(config_text.replace("    rate: 20/s\n", ramp))
    ramp = load_run_config(str(path)).jobs[0].ramp
    assert ramp.total_duration == 90
    assert [ramp.rate_at(t) for t in (0, 29, 31, 61, 89)] == [10, 10, 20, 30, 30]


def test_overrides_set_run_and_job_keys(tmp_path, config_text):
    path = tmp_path / "job.yml"
    path.write_text(config_text)
    config = load_run_config(str(path), ["duration=2m", "orders.rate=5/s", "*.mode=fire"])
    assert config.duration == 120 and config.jobs[0].rate == 5 and config.jobs[0].mode == "fire"


@pytest.mark.parametrize("override, where", [
    ("orders.rate=12/fortnight", "jobs[0] (orders).rate"),
    ("*.rate=12/fortnight", "jobs[0] (orders).rate"),
    ("duration=forever", "duration"),
    ("tracking.ingress.port=many", "tracking.ingress.port"),
])
def test_a_bad_set_value_blames_the_option_not_a_line_of_the_file(tmp_path, config_text, source_dir, override,
                                                                   where):
    path = tmp_path / "job.yml"
    tracking = "tracking:\n  ingress: {database: i, table: t}\n  egress: {database: e, table: t}\n"
    path.write_text(config_text + tracking)
    with pytest.raises(ConfigError) as caught:
        load_run_config(str(path), [override])
    message = str(caught.value)
    assert message.startswith(f"--set {override}: {where}: "), message
    assert str(path) not in message


def test_a_misspelt_top_level_key_suggests_it_among_all_known_keys(tmp_path, config_text):
    path = tmp_path / "job.yml"
    path.write_text(config_text + "trackng:\n  ingress: {database: i}\n")
    with pytest.raises(ConfigError) as caught:
        load_run_config(str(path))
    assert str(caught.value).startswith(f"{path}:8: trackng: unknown setting")
    assert "tracking" in caught.value.expected.split(": ", 1)[1].split(", ")
    assert caught.value.hint == "did you mean 'tracking'?"


# Each case: (text to replace, replacement, line of the error, key in the message, words of the message)
BAD_INPUTS = [
    ("    rate: 20/s\n", "    rate: 12/fortnight\n", 6, "rate", "unknown period 'fortnight'"),
    ("    rate: 20/s\n", "    rate: 20\n", 6, "rate", "has no period"),
    ("    rate: 20/s\n", "    rate: 0/s\n", 6, "rate", "more than zero"),
    ("    rate: 20/s\n", "    rat: 20/s\n", 6, "rat", "did you mean"),
    ("    url: http://127.0.0.1:9/upload\n", "", 2, "url", "is required"),
    ("    username: alice\n", "", 2, "username", "is required"),  # not "name: unknown setting, did you mean username"
    ("    url: http://127.0.0.1:9/upload\n", "    url: ftp://example/x\n", 7, "url", "http:// or https://"),
    ("    url: http://127.0.0.1:9/upload\n", "    url: http://127.0.0.1:99999/x\n", 7, "url", "Port out of range"),
    ("    url: http://127.0.0.1:9/upload\n", "    url: 'http://[::1/x'\n", 7, "url", "Invalid IPv6 URL"),
    ("    url: http://127.0.0.1:9/upload\n", "    url: 'http://:80/x'\n", 7, "url", "names no host"),
    ("    protocol: http\n", "    protocol: smtp\n", 3, "protocol", "http | sftp"),
    ("    rate: 20/s\n", "    rate: 20/s\n    workers: many\n", 7, "workers", "whole number"),
    ("    rate: 20/s\n", "    rate: 20/s\n    mode: sometimes\n", 7, "mode", "wait | fire"),
    ("    rate: 20/s\n", "    rate: 20/s\n    headers: [a, b]\n", 7, "headers", "must be a mapping"),
    ("    rate: 20/s\n", "    rate: 20/s\n    headers: {X-Id: '{uid}'}\n", 7, "X-Id", "unknown template field {uid}"),
    ("    rate: 20/s\n", "    rate: 20/s\n    timeout: soon\n", 7, "timeout", "duration"),
    ("    rate: 20/s\n", "    rate: 20/s\n    password_env: FTH_NOT_SET_ANYWHERE\n", 7, "password_env",
     "not set"),
    ("    rate: 20/s\n", "    rate: 20/s\n    cert_file: /nonexistent/cert.pem\n", 7, "cert_file",
     "does not exist"),
    ("jobs:\n", "duration: forever\njobs:\n", 1, "duration", "not a duration"),
    ("jobs:\n", "duration: 0s\njobs:\n", 1, "duration", "longer than zero"),
    ("  - name: orders\n", "  - name: 'two words'\n", 2, "name", "letters, digits"),
    ("    url: http://127.0.0.1:9/upload\n", "    url: http://127.0.0.1:9/upload\n  - 42\n", 8, "jobs[1]",
     "must be a mapping"),
    ("    rate: 20/s\n", "    rate: 20/s\n    stop_on: [{failure_rate: 150%}]\n", 7, "failure_rate", "between 0%"),
    ("    protocol: http\n", "    protocol: http\n   bad_indent: x\n", 4, None, "YAML syntax error"),
]


@pytest.mark.parametrize("old, new, line, key, words", BAD_INPUTS, ids=[case[4] for case in BAD_INPUTS])
def test_bad_input_is_located_and_explained(tmp_path, config_text, old, new, line, key, words):
    path = tmp_path / "job.yml"
    assert old in config_text
    path.write_text(config_text.replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_run_config(str(path))
    message = str(caught.value) + " " + (caught.value.hint or "")
    assert f"{path}:{line}:" in message
    if key:
        assert key in message
    assert words in message


def test_source_directory_must_exist(tmp_path, config_text, source_dir):
    path = tmp_path / "job.yml"
    path.write_text(config_text.replace(str(source_dir), str(tmp_path / "missing")))
    with pytest.raises(ConfigError, match=r"job.yml:5: .*source: directory does not exist"):
        load_run_config(str(path))


def test_duplicate_job_names_are_refused(tmp_path, config_text):
    job = config_text.split("jobs:\n", 1)[1]
    path = tmp_path / "job.yml"
    path.write_text(config_text + job)
    with pytest.raises(ConfigError, match="job names must be unique"):
        load_run_config(str(path))


def test_missing_file_and_empty_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_run_config(str(tmp_path / "nope.yml"))
    empty = tmp_path / "empty.yml"
    empty.write_text("")
    with pytest.raises(ConfigError, match="at least one job"):
        load_run_config(str(empty))


def test_tracking_section_merges_defaults_and_checks_names(tmp_path, config_text, monkeypatch):
    monkeypatch.setenv("DB_PW", "pw")
    path = tmp_path / "job.yml"
    path.write_text(config_text + """\
tracking:
  timezone: "+00:00"
  defaults: {host: db1, user: reader, password_env: DB_PW}
  ingress: {database: ingress, columns: {uuid: transaction_id}}
  egress: {database: egress, table: egress_log}
""")
    tracking = load_run_config(str(path)).tracking
    assert tracking.ingress.password == "pw" and tracking.egress.table == "egress_log"
    assert tracking.ingress.columns["uuid"] == "transaction_id" and tracking.egress.columns["uuid"] == "UUID"
    assert tracking.egress.timezone == "+00:00"
    assert "pw" not in tracking.ingress.describe()
    path.write_text(config_text + "tracking:\n  ingress: {database: x, table: 'a; drop'}\n  egress: {database: y}\n")
    with pytest.raises(ConfigError, match="table: is not a plain SQL name"):
        load_run_config(str(path))


def test_relative_paths_are_relative_to_the_config_file(tmp_path, source_dir, monkeypatch):
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (conf_dir / "files").mkdir()
    path = conf_dir / "job.yml"
    path.write_text(GOOD_JOB.format(source="files"))
    monkeypatch.chdir(tmp_path)
    assert load_run_config(str(path)).jobs[0].source.path == str(conf_dir / "files")


def test_yaml_escaped_surrogate_pairs_are_joined_and_a_lone_one_is_refused(write_config, source_dir):
    from fth.config.reader import as_text

    assert as_text("al\ud83d\ude00ice") == "al\U0001F600ice"
    with pytest.raises(ValueError, match="lone surrogate"):
        as_text("x\ud800")
