import pytest

from fth.units import (
    format_bytes,
    format_duration,
    format_rate,
    format_rates,
    parse_duration,
    parse_rate,
    parse_size,
)


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


@pytest.mark.parametrize("text", ["", "soon", "5 parsecs", "1h30", "-5s", "nan", True,
                                  "1.5.3h", "1..5h", "10 5m", "5 5"])
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


@pytest.mark.parametrize("parse, text, message", [
    (parse_duration, True, "is not a duration"), (parse_duration, "", "is empty"), (parse_duration, "  ", "is empty"),
    (parse_duration, "soon", "is not a duration"), (parse_duration, "5 parsecs", "unknown time unit 'parsecs'"),
    (parse_duration, "1h30", "is not a duration"), (parse_duration, "-5s", "is not a duration"),
    (parse_duration, -1, "is not a duration"), (parse_duration, float("inf"), "is not a duration"),
    (parse_duration, float("nan"), "is not a duration"), (parse_duration, "1h x", "is not a duration"),
    (parse_rate, True, "is not a rate"), (parse_rate, 5, "has no period (a bare number is not a rate)"),
    (parse_rate, 0.5, "has no period (a bare number is not a rate)"), (parse_rate, "fast", "is not a rate"),
    (parse_rate, "20/fortnight", "unknown period 'fortnight'"), (parse_rate, "1/0s", "has a zero period"),
    (parse_size, True, "is not a size"), (parse_size, -1, "is negative"), (parse_size, "lots", "is not a size"),
    (parse_size, "5 parsecs", "is not a size"), (parse_size, "", "is not a size"),
])
def test_parsers_say_what_is_wrong(parse, text, message):
    with pytest.raises(ValueError) as raised:
        parse(text)
    assert str(raised.value) == message


@pytest.mark.parametrize("text, seconds", [
    (0, 0.0), ("0s", 0.0), (2.5, 2.5), ("1H30M", 5400.0), ("1.5 h", 5400.0), ("2w", 1209600.0), (".5s", 0.5),
    ("1m30s250ms", 90.25), ("3 hours 2 secs", 10802.0), ("5.", 5.0),
])
def test_durations_exactly(text, seconds):
    value = parse_duration(text)
    assert value == seconds and type(value) is float


@pytest.mark.parametrize("text, per_second", [
    ("120/hour", 120 / 3600), ("20/S", 20.0), ("3/DAY", 3 / 86400), ("1/0.5s", 2.0), ("6 per 2 min", 0.05),
    ("1 file/s", 1.0), ("7/w", 7 / 604800), ("0/s", 0.0),
])
def test_rates_exactly(text, per_second):
    value = parse_rate(text)
    assert value == per_second and type(value) is float


@pytest.mark.parametrize("text, count", [
    ("7", 7), ("7B", 7), ("7 bytes", 7), ("1.5GB", 1_500_000_000), ("2 TiB", 2 * 1024**4), ("10MIB", 10 * 1024**2),
    ("3k", 3000), ("1 tb", 10**12), ("0", 0), (0, 0), ("1.9", 1), ("2gib", 2 * 1024**3),
])
def test_sizes_exactly(text, count):
    value = parse_size(text)
    assert value == count and type(value) is int


@pytest.mark.parametrize("seconds, text", [
    (0, "0s"), (10.0, "10s"), (59.9, "59.9s"), (60, "1m"), (3600, "1h"), (90061.4, "1d1h1m1s"), (86400, "1d"),
    (7322, "2h2m2s"), (119.6, "2m"),
])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize("per_second, text", [
    (0, "0.0/s"), (1, "1.0/s"), (2.34, "2.3/s"), (0.999, "59.9/min"), (1 / 60, "1.0/min"), (1 / 120, "30.0/h"),
    (1 / 3600, "1.0/h"), (1 / 60.5, "59.5/h"), (57.64 / 3600, "57.6/h"),
])
def test_format_rate(per_second, text):
    assert format_rate(per_second) == text


@pytest.mark.parametrize("count, text", [
    (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"), (1024**2, "1.0 MiB"),
    (5 * 1024**3, "5.0 GiB"), (2048 * 1024**4, "2048.0 TiB"), (-2048, "-2.0 KiB"), (1023.4, "1023 B"),
])
def test_format_bytes(count, text):
    assert format_bytes(count) == text
