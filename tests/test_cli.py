"""The fth command line: exit statuses, precedence of flags over env over file, clear errors."""

import socket

from tests.fixtures.cli import http_job


def test_config_error_exits_2_with_one_line_and_sends_nothing(fth_cli, write_config, http_server, source_dir):
    config = write_config({"jobs": [http_job("orders", http_server.url, source_dir, rate="fast")]})
    result = fth_cli("-c", config, "--duration", "2s", expect=2)
    assert result.stderr.startswith(f"fth: error: {config}:")
    assert "rate" in result.stderr and "'fast'" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # the message and perhaps a hint
    assert http_server.requests == []


def test_traceback_only_at_vv(fth_cli, write_config, http_server, source_dir):
    config = write_config({"jobs": [http_job("orders", http_server.url, source_dir, rate="fast")]})
    assert "Traceback" in fth_cli("-c", config, "-vv", expect=2).stderr


def test_usage_errors_exit_2_with_a_hint(fth_cli):
    assert "did you mean --duration" in fth_cli("--durration", "5s", expect=2).stderr
    assert "expected a duration" in fth_cli("-c", "x.yml", "--duration", "soon", expect=2).stderr
    assert "must be longer than zero" in fth_cli("-c", "x.yml", "--duration", "0s", expect=2).stderr
    assert "no configuration given" in fth_cli(expect=2).stderr


def test_precedence_flag_over_env_over_file(fth_cli, write_config, http_server, source_dir, monkeypatch):
    config = write_config({"duration": "5m", "jobs": [http_job("orders", http_server.url, source_dir)]})
    assert "duration 5m" in fth_cli("-c", config, "--check").stdout
    monkeypatch.setenv("FTH_DURATION", "2m")
    assert "duration 2m" in fth_cli("-c", config, "--check").stdout
    assert "duration 1m" in fth_cli("-c", config, "--check", "--duration", "1m").stdout
    monkeypatch.setenv("FTH_CONFIG", str(config))
    assert "orders: http wait 20.0/s" in fth_cli("--check", "--set", "orders.rate=20 per second").stdout
    assert http_server.requests == []


def test_job_selection(fth_cli, write_config, http_server, source_dir, tmp_path):
    config = write_config({"jobs": [http_job("a", http_server.url, source_dir, count=2),
                                    http_job("b", http_server.url, source_dir, count=2)]})
    out = fth_cli("-c", config, "--job", "b", "--check").stdout
    assert "b: http" in out and "a: http" not in out
    assert "no such job" in fth_cli("-c", config, "--job", "c", expect=2).stderr


def test_unwritable_summary_and_log_paths_are_usage_errors(fth_cli, write_config, http_server, source_dir, tmp_path):
    config = write_config({"jobs": [http_job("a", http_server.url, source_dir, count=1)]})
    assert "cannot open log file" in fth_cli("-c", config, "--log-file", tmp_path / "no/dir/x.log", expect=2).stderr
    assert "cannot open transfer log" in fth_cli("-c", config, "--transfer-log", tmp_path / "no/x", expect=2).stderr


def test_log_file_gets_full_detail_with_timestamps(fth_cli, write_config, source_dir, tmp_path):
    config = write_config({"jobs": [http_job("closed", "http://127.0.0.1:9/x", source_dir, count=3)]})
    log_file = tmp_path / "run.log"
    fth_cli("-c", config, "-q", "--log-file", log_file)
    text = log_file.read_text()
    assert text.count("refused") >= 3  # the first at WARNING, the rest at DEBUG: all in the file
    assert text[:4].isdigit() and "fth.engine.recorder" in text


def test_web_on_a_busy_port_hints_at_fths_own_flag(fth_cli, write_config, http_server, source_dir):
    config = write_config({"jobs": [http_job("orders", http_server.url, source_dir, count=1)]})
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = fth_cli("-c", config, "--web", port, expect=2)
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" not in result.stderr
    assert "fth: hint: give another port with --web [HOST:]PORT (--web 127.0.0.1:0 picks a free one)" in result.stderr
    assert http_server.requests == []


def test_check_refuses_a_source_without_files_as_the_run_does(fth_cli, write_config, http_server, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    config = write_config({"jobs": [http_job("orders", http_server.url, empty)]})
    checked, ran = fth_cli("-c", config, "--check", expect=2), fth_cli("-c", config, "--duration", "1s", expect=2)
    assert "job orders: no files matching '*' in" in checked.stderr
    assert checked.stderr.splitlines()[0] == ran.stderr.splitlines()[0]
    assert http_server.requests == []
