"""example-config.yml runs as shipped, and documents every option the loaders accept."""

import dataclasses
import re
from pathlib import Path

import pytest

from fth.config import load_run_config
from fth.config.model import DbConfig, HttpJobConfig, RunConfig, SftpJobConfig, SourceConfig
from fth.config.web import Features, RetryPolicy, WebConfig
from fth.paths import target_store
from fth_web.settings import load_settings

EXAMPLE = Path(__file__).resolve().parent.parent / "fth" / "example-config.yml"  # ships in the package
TEXT = EXAMPLE.read_text()

# dataclass field → the key users write, where they differ
YAML_NAMES = {"field_name": "field", "line": None, "path": None, "role": None, "protocol": "protocol",
              "web": "web", "tracking": "tracking", "jobs": "jobs", "columns": "columns", "use_agent": "use_agent",
              "cache_s": "cache", "mock_rate": "rate", "mock": "mock", "limits": None, "config_path": None,
              "segment": None,  # set by --segment I/N, not by the file
              "database": "database", "layout_given": None, "raw": None,
              "secret_key": "secret_key_env"}


def _documented(name: str) -> bool:
    return re.search(rf"^\s*#?\s*-?\s*{re.escape(name)}:", TEXT, re.MULTILINE) is not None or f"{name}:" in TEXT


@pytest.mark.parametrize("model", [RunConfig, HttpJobConfig, SftpJobConfig, SourceConfig, DbConfig, WebConfig,
                                   Features, RetryPolicy])
def test_every_option_is_documented(model):
    missing = []
    for item in dataclasses.fields(model):
        name = YAML_NAMES.get(item.name, item.name)
        if name and not _documented(name):
            missing.append(name)
    assert not missing, f"{model.__name__} options not in example-config.yml: {missing}"


def test_passwords_have_their_env_form_documented():
    for name in ("password_env", "key_passphrase_env", "secret_key_env"):
        assert name in TEXT


def test_it_loads_as_shipped_with_the_values_it_shows():
    config = load_run_config(str(EXAMPLE))
    http, sftp = config.jobs
    assert (http.name, http.protocol, http.username, http.rate, http.mode, http.workers) == \
        ("orders-http", "http", "alice", 10.0, "wait", 2)
    assert http.headers["X-Transaction-ID"] == "{uuid}" and http.expect_status == (200, 201, 202, 204)
    assert http.stop_on[0].threshold == pytest.approx(0.2) and http.stop_on[0].window == 30
    assert Path(http.source.path).is_dir() and any(Path(http.source.path).iterdir())
    assert sftp.ramp.total_duration == 60 and sftp.ramp.peak == 15
    assert (sftp.host, sftp.port, sftp.connection, sftp.host_key_policy) == ("127.0.0.1", 8822, "reuse", "accept-new")
    assert sftp.temp_name == ".{uuid}.part" and sftp.remote_name == "{uuid}_{filename}"
    assert config.duration == 60 and config.tracking.ingress.driver == "sqlite"
    assert config.tracking.egress.table == "egress_transfers"
    # the store fth-target writes by default, wherever either program is started
    assert config.tracking.ingress.path == config.tracking.egress.path == target_store()


def test_the_web_section_is_valid():
    settings = load_settings(str(EXAMPLE), environ={})
    assert settings.layout == "pair" and settings.port == 8080 and settings.features.admin is False
    assert settings.limits.row_max == 1000 and settings.retry.max == 30
