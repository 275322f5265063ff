"""The known-answer tracking databases, shared by the report tests."""

import pytest

from tests.report.dataset import READER_PW, TrackingDb, load


@pytest.fixture(scope="session")
def tracking_db(mariadb, tmp_path_factory) -> TrackingDb:
    return load(mariadb, tmp_path_factory.mktemp("tracking"))


@pytest.fixture(autouse=True)
def reader_password(monkeypatch):
    monkeypatch.setenv("FTH_TEST_READER_PW", READER_PW)
    monkeypatch.delenv("FTH_CONFIG", raising=False)
