import pytest

from fth.units import format_duration, format_rate, format_rates, parse_duration, parse_rate, parse_size


@pytest.mark.parametrize("text, per_second", [
    ("120/hour", 120 / 3600), ("120 / Hour", 120 / 3600), ("2 per minute", 2 / 60), ("0.5/s", 0.5),
    ("1/5min", 1 / 300), (" 20/S ", 20), ("10 files/min", 10 / 60), ("3/day", 3 / 86400), ("1/1.5s", 1 / 1.5),
])
def test_rates(text, per_second):
    assert parse_rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize("text", ["", "20", "fast", "20/fortnight", "/s", "1/0s", "-1/s", True, 5])
def test_bad_rates(text):
    with pytest.raises(ValueError):
        parse_rate(text)


@pytest.mark.parametrize("text, seconds", [
    ("90s", 90), ("30m", 1800), ("1h30m", 5400), ("1h 30m", 5400), ("2d", 172800), ("500ms", 0.5), (5, 5),
    (" 10 Minutes ", 600), ("1.5h", 5400), ("45", 45),
])
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "soon", "5 parsecs", "1h30", "-5s", "nan", True])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_sizes_and_formatting():
    assert parse_size("10MiB") == 10 * 1024**2 and parse_size(" 64 kb ") == 64000 and parse_size(512) == 512
    with pytest.raises(ValueError):
        parse_size("lots")
    assert format_duration(5400) == "1h30m" and format_duration(2.5) == "2.5s"
    assert format_rate(20) == "20.0/s" and format_rate(0.5) == "30.0/min" and format_rate(1 / 3600) == "1.0/h"
    assert format_rates(0.82, 1.2) == ["0.82/s", "1.2/s"]  # one unit for a row: not 49.2/min beside 1.2/s
    assert format_rates(0.5, 0) == ["30.0/min", "0.0/min"] and format_rates(0, 0) == ["0.0/s", "0.0/s"]
    assert format_rates(1 / 36000) == ["0.10/h"]
