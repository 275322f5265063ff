"""fth init: the documented example config and its sample files, from the installed package."""

from fth.config import load_run_config
from fth.paths import target_store


def test_init_writes_a_config_that_runs_against_the_target_and_its_samples(fth_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = fth_cli("init", "start").stdout
    config_path = tmp_path / "start" / "example-config.yml"
    assert f"wrote {config_path.relative_to(tmp_path)}" in out and "fth-target" in out and "--poll" in out
    config = load_run_config(str(config_path))
    samples = tmp_path / "start" / "sample-files"
    assert [job.source.path for job in config.jobs] == [str(samples)] * 2
    assert sorted(path.name for path in samples.iterdir()) == [
        "invoice-0001.xml", "invoice-0002.xml", "orders 2026-11.csv", "readme.txt", "scan-0001.pdf"]
    assert config.tracking.ingress.path == target_store()


def test_init_refuses_to_replace_a_config_unless_forced(fth_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fth_cli("init", "-q")
    (tmp_path / "example-config.yml").write_text("mine")
    (tmp_path / "sample-files" / "readme.txt").write_text("mine")
    result = fth_cli("init", expect=2)
    assert result.stderr.startswith("fth init: error: example-config.yml exists: not replacing it\n")
    assert "fth init --force ." in result.stderr
    assert (tmp_path / "example-config.yml").read_text() == "mine"
    fth_cli("init", "--force", "-q")
    assert (tmp_path / "example-config.yml").read_text().startswith("# File Transfer Harness")
    assert (tmp_path / "sample-files" / "readme.txt").read_text() != "mine"


def test_init_has_its_own_help(fth_cli):
    assert "fth init" in fth_cli("init", "--help").stdout
