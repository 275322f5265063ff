"""The ``web:`` section of the run config (fth-web and ``fth --web``), typed and validated like the rest.

:func:`parse_web` turns the mapping into a :class:`WebConfig`, naming file, line and key on any
mistake, so ``fth --check``, ``fth-report`` and ``fth-web`` reject the same bad file the same way.
The dashboard database is a :class:`~fth.config.model.DbConfig` (role ``dashboard``) parsed by the
same code as the tracking databases, TLS options included.

The layout is ``web.layout`` when given, else ``dashboard`` when ``web.database`` is configured,
else ``pair`` when the file has ``tracking:``, else ``dashboard`` (its example rows).
"""

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Tuple

from fth.config.model import DbConfig
from fth.config.reader import Section, as_bool, as_duration, as_port, as_positive_int, as_rate, as_text

LAYOUTS = ("pair", "dashboard")
TRACKING_ONLY = ("driver", "path", "columns", "timezone")
DASHBOARD_DEFAULTS: Dict[str, Any] = {"database": "dashboard", "table": "transactions",
                                      "connect_timeout": 5.0, "read_timeout": 30.0}


@dataclass
class RetryPolicy:
    """Backoff between reconnection attempts: initial, doubling (``multiplier``) up to ``max``."""

    initial: float = 1.0
    max: float = 30.0
    multiplier: float = 2.0

    def delay(self, failures: int) -> float:
        if failures <= 0:
            return 0.0
        return min(self.max, self.initial * (self.multiplier ** (failures - 1)))


@dataclass
class Features:
    sorting: bool = True
    filtering: bool = True
    copy: bool = True
    admin: bool = False


@dataclass
class LayoutLimits:
    """Refresh choices (seconds) and row-count choices offered by the page."""

    refresh_choices: Tuple[int, ...]
    refresh_default: int
    refresh_min: int
    refresh_max: int
    row_choices: Tuple[int, ...]
    row_default: int
    row_max: int


DEFAULT_LIMITS: Dict[str, LayoutLimits] = {
    "pair": LayoutLimits((5, 10, 15, 30, 60), 5, 5, 60, (25, 50, 100, 250, 500, 1000), 100, 1000),
    "dashboard": LayoutLimits((1, 3, 5, 10), 3, 1, 10, (50, 100, 200), 50, 200),
}


def dashboard_db(**values: Any) -> DbConfig:
    """The dashboard database with its defaults (seed 002: ``dashboard.transactions``)."""
    return DbConfig(role="dashboard", **{**DASHBOARD_DEFAULTS, **values})


@dataclass
class WebConfig:
    """The monitor's settings as the file gives them (fth-web layers ``.env``, ``FTH_WEB_*`` and flags on top)."""

    host: str = "127.0.0.1"
    port: int = 8080
    layout: str = "dashboard"
    layout_given: bool = False  # False: chosen by the rule in the module docstring
    mock: bool = False
    mock_rate: float = 5.0  # transactions per second
    title: str = "File Transfer Monitor"
    secret_key: Optional[str] = None
    database: DbConfig = field(default_factory=dashboard_db)
    limits: Optional[LayoutLimits] = None  # None: the layout's defaults
    features: Features = field(default_factory=Features)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    pool_size: int = 4
    cache_s: float = 1.0  # the polled JSON is computed at most once per this interval
    raw: Any = None  # the mapping itself, for limits of a layout chosen later (:func:`limits_for`)
    path: Optional[str] = None

    def __post_init__(self) -> None:
        if self.limits is None:
            self.limits = DEFAULT_LIMITS[self.layout]

    @property
    def database_configured(self) -> bool:
        return bool(self.database.user)


def choose_layout(given: Optional[str], database_configured: bool, has_tracking: bool) -> str:
    if given:
        return given
    if database_configured:
        return "dashboard"
    return "pair" if has_tracking else "dashboard"


# -- converters shared by the file, the environment and flags ------------------------------

def positive_float(value: Any) -> float:
    number = float(str(value).strip())
    if number <= 0:
        raise ValueError("must be greater than 0")
    return number


def cache_seconds(value: Any) -> float:
    """How long polled answers are shared: a duration, or 0 / off for none."""
    if isinstance(value, bool) and not value:
        return 0.0
    text = str(value).strip().lower()
    if text in ("0", "0s", "off", "no", "false", "none"):
        return 0.0
    return as_duration(value)


def layout_name(value: Any) -> str:
    text = as_text(value).lower()
    if text not in LAYOUTS:
        raise ValueError("is not a layout")
    return text


def _int_list(value: Any) -> Tuple[int, ...]:
    if isinstance(value, str):
        value = [part for part in value.replace(",", " ").split() if part]
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError("must be a list of whole numbers")
    numbers = []
    for item in value:
        if isinstance(item, str):
            item = item.strip().rstrip("sS")
        numbers.append(as_positive_int(item))
    return tuple(sorted(set(numbers)))


# -- the section ---------------------------------------------------------------------------

def parse_web(raw: Any, path: Optional[str], has_tracking: bool,
              parse_db: Callable[[Section, str, Dict[str, Any]], DbConfig]) -> WebConfig:
    """``web:`` → :class:`WebConfig`; ``parse_db`` is the loader's database parser (one for every DB)."""
    web = Section(raw, file=path, prefix="web")
    base = WebConfig()
    given = web.get("layout", default=None, choices=LAYOUTS)
    database = _dashboard_db(web.section("database"), parse_db) if web.has("database") else base.database
    mock = web.section("mock")
    mock_enabled = mock.get("enabled", as_bool, default=base.mock)
    mock_rate = mock.get("rate", as_rate, default=base.mock_rate, expected="a rate such as 5/s")
    mock.done()
    feats = web.section("features")
    features = Features(**{name: feats.get(name, as_bool, default=getattr(base.features, name))
                           for name in ("sorting", "filtering", "copy", "admin")})
    feats.done()
    retry = web.section("retry")
    policy = RetryPolicy(
        initial=retry.get("initial", as_duration, default=base.retry.initial),
        max=retry.get("max", as_duration, default=base.retry.max),
        multiplier=retry.get("multiplier", positive_float, default=base.retry.multiplier),
    )
    retry.done()
    layout = choose_layout(given, bool(database.user), has_tracking)
    config = WebConfig(
        host=web.get("host", as_text, default=base.host),
        port=web.get("port", as_port, default=base.port),
        layout=layout, layout_given=given is not None, mock=mock_enabled, mock_rate=mock_rate,
        title=web.get("title", as_text, default=base.title),
        secret_key=web.secret("secret_key"),
        database=database,
        limits=limits_for(raw, layout, path),
        features=features, retry=policy,
        pool_size=web.get("pool_size", as_positive_int, default=base.pool_size),
        cache_s=web.get("cache", cache_seconds, default=base.cache_s, expected="a duration such as 1s, or off"),
        raw=raw, path=path,
    )
    web.section("refresh")  # read by limits_for
    web.section("rows")
    web.done()
    return config


def _dashboard_db(section: Section, parse_db: Callable[[Section, str, Dict[str, Any]], DbConfig]) -> DbConfig:
    """A MySQL table read with the server's clock: the tracking-only options are mistakes here."""
    for key in TRACKING_ONLY:
        if section.has(key):
            raise section.error(key, "does not apply to the dashboard database",
                                expected="host, port, user, password, database, table, ssl_*, timeouts")
    return parse_db(section, "dashboard", DASHBOARD_DEFAULTS)


def limits_for(raw_web: Any, layout: str, path: Optional[str]) -> LayoutLimits:
    """``web.refresh`` / ``web.rows`` over the defaults of ``layout``, checked against each other."""
    web = Section(raw_web, file=path, prefix="web")
    base = DEFAULT_LIMITS[layout]
    refresh = web.section("refresh")
    rows = web.section("rows")
    limits = LayoutLimits(
        refresh_choices=refresh.get("choices", _int_list, default=base.refresh_choices),
        refresh_default=refresh.get("default", as_positive_int, default=base.refresh_default),
        refresh_min=refresh.get("min", as_positive_int, default=base.refresh_min),
        refresh_max=refresh.get("max", as_positive_int, default=base.refresh_max),
        row_choices=rows.get("choices", _int_list, default=base.row_choices),
        row_default=rows.get("default", as_positive_int, default=base.row_default),
        row_max=rows.get("max", as_positive_int, default=base.row_max),
    )
    _check_limits(limits, refresh, rows)
    refresh.done()
    rows.done()
    return limits


def _check_limits(limits: LayoutLimits, refresh: Section, rows: Section) -> None:
    if limits.refresh_min > limits.refresh_max:
        raise refresh.error("min", "is greater than max", value=limits.refresh_min)
    bad = [c for c in limits.refresh_choices if not limits.refresh_min <= c <= limits.refresh_max]
    if bad:
        raise refresh.error("choices", "has values outside min..max", value=list(bad),
                            expected=f"{limits.refresh_min}..{limits.refresh_max} seconds")
    if limits.refresh_default not in limits.refresh_choices:
        raise refresh.error("default", "is not one of the choices", value=limits.refresh_default,
                            expected=" | ".join(str(c) for c in limits.refresh_choices))
    if any(c > limits.row_max for c in limits.row_choices):
        raise rows.error("choices", "has values above max", value=list(limits.row_choices),
                         expected=f"at most {limits.row_max}")
    if limits.row_default not in limits.row_choices:
        raise rows.error("default", "is not one of the choices", value=limits.row_default,
                         expected=" | ".join(str(c) for c in limits.row_choices))
