"""The known-answer tables (see tests/report/dataset.py) and DbConfigs pointing at them."""

import pytest

from fth.config.model import DbConfig
from tests.report.dataset import READER, READER_PW, TrackingDb, load


@pytest.fixture(scope="session")
def tracking_tables(mariadb, tmp_path_factory) -> TrackingDb:
    return load(mariadb, tmp_path_factory.mktemp("tracking-store"), prefix="st")


@pytest.fixture
def db_config(tracking_tables):
    def make(role: str = "ingress", **changes) -> DbConfig:
        database = tracking_tables.ingress if role == "ingress" else tracking_tables.egress
        settings = {"role": role, "host": "127.0.0.1", "port": tracking_tables.server.port, "user": READER,
                    "password": READER_PW, "database": database, "table": "transfers", "timezone": "UTC",
                    "connect_timeout": 5.0}
        settings.update(changes)
        return DbConfig(**settings)

    return make
