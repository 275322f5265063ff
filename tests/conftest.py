"""Fixtures shared by the whole suite; real-server fixtures live in tests/fixtures/."""

pytest_plugins = [
    "tests.fixtures.files",
]
