"""Hostile configurations (issue 12): rejected up front in one line, secrets kept as written, never echoed."""

import pytest

from fth.config import load_run_config
from fth.errors import ConfigError


def _job_yaml(source, extra: str = "", rate: str = "10/s") -> str:
    return (f"jobs:\n  - name: j\n    protocol: http\n    username: u\n    source: {source}\n"
            f"    url: http://127.0.0.1:9/up\n    rate: {rate}\n{extra}")


def test_duplicate_keys_are_rejected_naming_both_lines(write_config, source_dir):
    path = write_config(_job_yaml(source_dir, "    rate: 1000/s\n"))
    with pytest.raises(ConfigError, match=r"job1.yml:8: YAML syntax error: duplicate key 'rate' \(first at line 7\)"):
        load_run_config(str(path))
    top = write_config("duration: 1m\n" + _job_yaml(source_dir) + "duration: 1h\n")
    with pytest.raises(ConfigError, match="duplicate key 'duration'"):
        load_run_config(str(top))


def test_yaml_merge_keys_are_not_duplicates(write_config, source_dir):
    path = write_config("base: &base\n  rate: 5/s\n" + _job_yaml(source_dir).replace(
        "    rate: 10/s\n", "    <<: *base\n"))
    with pytest.raises(ConfigError, match="base: unknown setting"):  # merged fine; the anchor key itself is unknown
        load_run_config(str(path))


def test_a_rate_with_hundreds_of_digits_is_rejected_not_infinite(write_config, source_dir):
    path = write_config(_job_yaml(source_dir, rate="9" * 400 + "/s"))
    with pytest.raises(ConfigError, match="rate: is too large a number") as caught:
        load_run_config(str(path))
    assert len(str(caught.value)) < 400  # the 400 digits are not echoed in full


@pytest.mark.parametrize("template", ["{uuid:d}", "{filename:>500000000}"])
def test_format_specs_in_templates_fail_check(template, fth_cli, write_config, source_dir):
    path = write_config(_job_yaml(source_dir, f"    headers:\n      X-Id: '{template}'\n"))
    result = fth_cli("-c", path, "--check", expect=2)
    assert "format specs" in result.stderr and "are not supported" in result.stderr


def test_an_alias_bomb_in_a_bad_value_is_not_written_out(fth_cli, write_config, source_dir):
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [*a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}]"
               for i in range(1, 9)]  # 9**9 = 387 million items when written out
    text = _job_yaml(source_dir, rate="*a8").replace("jobs:", "\n".join(levels) + "\njobs:", 1)
    result = fth_cli("-c", write_config(text), "--check", expect=2)
    assert "rate: is not a rate" in result.stderr
    assert len(result.stderr) < 1000


@pytest.mark.parametrize("written", ["0123", "yes", "1:20", "0x1F", "1e3", "~x", " spaced "])
def test_passwords_and_usernames_are_kept_exactly_as_written(written, write_config, source_dir):
    quoted = f"'{written}'" if written.startswith(" ") else written
    path = write_config(_job_yaml(source_dir, f"    password: {quoted}\n").replace("username: u",
                                                                                    "username: 0777"))
    job = load_run_config(str(path)).jobs[0]
    assert job.password == written
    assert job.username == "0777"


def test_credentials_in_a_url_are_refused_and_never_echoed(fth_cli, write_config, source_dir):
    path = write_config(_job_yaml(source_dir).replace("http://127.0.0.1:9/up", "http://alice:s3cret@127.0.0.1:9/up"))
    result = fth_cli("-c", path, "--check", expect=2)
    assert "url: holds a user name or password" in result.stderr and "password_env" in result.stderr
    assert "s3cret" not in result.stderr + result.stdout


def test_a_million_workers_is_refused_with_a_pointer_to_fire_mode(write_config, source_dir):
    path = write_config(_job_yaml(source_dir, "    workers: 1000000\n"))
    with pytest.raises(ConfigError, match=r"workers: is more than 10,000 senders; .* mode: fire"):
        load_run_config(str(path))


def test_a_password_set_on_the_command_line_wins_over_the_one_written_in_the_file(write_config, source_dir):
    path = write_config(_job_yaml(source_dir, "    password: 0123\n"))
    assert load_run_config(str(path), ["j.password=0456"]).jobs[0].password == "0456"


@pytest.mark.parametrize("header, problem", [('X-A: "one\\r\\nX-B: two"', "holds CR, LF or NUL"),
                                             ('"X A": one', "is not a valid header name")])
def test_header_lines_cannot_be_injected_from_the_config_either(header, problem, write_config, source_dir):
    path = write_config(_job_yaml(source_dir, f"    headers:\n      {header}\n"))
    with pytest.raises(ConfigError, match=problem):
        load_run_config(str(path))


@pytest.mark.parametrize("written, shown", [
    ("[abc]", "abc is not an HTTP status code"), ("[true]", "True is not an HTTP status code"),
    ("[200.0]", "200.0 is not an HTTP status code"), ("[2e2]", "2e2 is not an HTTP status code"),
    ("'²⁰⁰'", "²⁰⁰ is not an HTTP status code"), ("[600]", "600 is not an HTTP status code"),
    ("[[200]]", "[200] is not an HTTP status code"), ("{a: 1}", "a mapping is not a list of status codes"),
])
def test_expect_status_names_the_value_that_is_no_status_code(written, shown, write_config, source_dir):
    path = write_config(_job_yaml(source_dir, f"    expect_status: {written}\n"))
    with pytest.raises(ConfigError) as caught:
        load_run_config(str(path))
    assert f"expect_status: {shown}" in str(caught.value) and "int()" not in str(caught.value)


@pytest.mark.parametrize("written, codes", [("[201, 202]", (201, 202)), ("'200, 204'", (200, 204)),
                                            ("[' 201 ']", (201,)), ("[]", ())])
def test_expect_status_accepts_codes_as_a_list_or_text(written, codes, write_config, source_dir):
    path = write_config(_job_yaml(source_dir, f"    expect_status: {written}\n"))
    assert load_run_config(str(path)).jobs[0].expect_status == codes


@pytest.mark.parametrize("written", ['"GE T"', '""', '"PO\\nST"', '"GET/1"', "[POST]", '"POST\\u00e9"'])
def test_a_method_that_is_no_http_token_is_refused_at_load(written, write_config, source_dir):
    """'GE T' passed --check, then every transfer failed as an 'unexpected' fault whose hint asked to report it."""
    path = write_config(_job_yaml(source_dir, f"    method: {written}\n"))
    with pytest.raises(ConfigError, match=r"method: .*(is not an HTTP method|must be text|is empty)"):
        load_run_config(str(path))


@pytest.mark.parametrize("written, method", [("put", "PUT"), ("' patch '", "PATCH"), ("POST", "POST")])
def test_a_method_is_upper_cased_and_trimmed(written, method, write_config, source_dir):
    path = write_config(_job_yaml(source_dir, f"    method: {written}\n"))
    assert load_run_config(str(path)).jobs[0].method == method


@pytest.mark.parametrize("ramp", ["[{to: 5/s, over: 0s}]", "[{to: 5/s, over: 0s}, {to: 9/s, over: 0s}]"])
def test_a_ramp_that_lasts_no_time_is_refused(ramp, write_config, source_dir):
    """It passed --check, then the job sent nothing and the run ended with exit 0."""
    path = write_config(_job_yaml(source_dir).replace("    rate: 10/s\n", f"    ramp: {ramp}\n"))
    with pytest.raises(ConfigError, match="ramp: lasts 0 s, so the job would send nothing"):
        load_run_config(str(path))


def test_a_ramp_may_jump_with_over_0s_when_another_stage_lasts(write_config, source_dir):
    path = write_config(_job_yaml(source_dir).replace("    rate: 10/s\n",
                                                      "    ramp: [{to: 5/s, over: 0s}, {hold: 2s}]\n"))
    assert load_run_config(str(path)).jobs[0].ramp.total_duration == 2.0


def test_an_error_quoting_a_line_break_stays_on_one_line(fth_cli, write_config, source_dir):
    """A header name holding a line break printed the error over two lines: the second read like a new message."""
    path = write_config(_job_yaml(source_dir, "    headers:\n      ? \"X-A\\nB\\tC\"\n      : x\n"))
    result = fth_cli("-c", path, "--check", expect=2)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "headers.X-A\\nB\\tC: is not a valid header name" in lines[0]
