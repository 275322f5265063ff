import itertools

import pytest

from fth.config.model import SourceConfig
from fth.engine import source as source_module
from fth.engine.source import FileSource
from fth.errors import UsageError


@pytest.fixture
def counted_listings(monkeypatch):
    calls = []
    real = source_module.list_files

    def counting(config, *args):
        calls.append(config.path)
        return real(config, *args)

    monkeypatch.setattr(source_module, "list_files", counting)
    return calls


def test_fast_passes_reuse_the_listing(tmp_path, counted_listings):
    (tmp_path / "only.dat").write_bytes(b"x")
    files = list(itertools.islice(FileSource(SourceConfig(str(tmp_path)), "job"), 1000))
    assert files == [str(tmp_path / "only.dat")] * 1000
    assert len(counted_listings) == 1  # the listing at start; no directory scan per file


def test_files_added_and_removed_are_noticed_on_the_next_pass(tmp_path, monkeypatch):
    monkeypatch.setattr(FileSource, "RELIST_INTERVAL", 0.0)
    (tmp_path / "a.dat").write_bytes(b"a")
    paths = iter(FileSource(SourceConfig(str(tmp_path)), "job"))
    assert next(paths) == str(tmp_path / "a.dat")
    (tmp_path / "b.dat").write_bytes(b"b")
    (tmp_path / "a.dat").unlink()
    assert next(paths) == str(tmp_path / "b.dat")
    (tmp_path / "b.dat").unlink()
    assert next(paths, "ended") == "ended"  # an emptied source ends the job instead of spinning


def test_recursive_pattern_in_sorted_order_without_loop(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("sub/2.xml", "1.xml", "skip.txt"):
        (tmp_path / name).write_bytes(b"x")
    config = SourceConfig(str(tmp_path), pattern="*.xml", recursive=True, loop=False)
    assert list(FileSource(config, "job")) == [str(tmp_path / "1.xml"), str(tmp_path / "sub" / "2.xml")]


def test_an_empty_source_is_a_usage_error_naming_the_job(tmp_path):
    with pytest.raises(UsageError, match="job empty: no files matching '\\*' in"):
        FileSource(SourceConfig(str(tmp_path)), "empty")
