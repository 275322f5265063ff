"""Settings of fth-web: defaults < ``web:`` in the job YAML < ``.env`` < ``FTH_WEB_*`` < flags.

The ``web:`` mapping is validated here with :class:`fth.config.reader.Section`, so a
mistake names the file, line and key. Environment variables (a ``.env`` file is
loaded into the environment first, never overriding what is already set) and
command-line flags are validated with the same converters and name the variable
or flag on error.
"""

import os
import secrets
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from fth.config.model import RunConfig, TrackingConfig
from fth.config.reader import Section, as_bool, as_duration, as_port, as_positive_int, as_rate, as_text
from fth.errors import ConfigError, UsageError

LAYOUTS = ("pair", "dashboard")
ENV_PREFIX = "FTH_WEB_"


@dataclass
class DashboardDb:
    """The one MySQL table of the dashboard layout (seed 002: ``dashboard.transactions``)."""

    host: str = "127.0.0.1"
    port: int = 3306
    user: str = ""
    password: Optional[str] = None
    database: str = "dashboard"
    table: str = "transactions"
    connect_timeout: float = 5.0
    read_timeout: float = 30.0

    @property
    def configured(self) -> bool:
        return bool(self.user)

    def describe(self) -> str:
        """Where the database is, for messages and the status panel; never the password."""
        return f"{self.user or '?'}@{self.host}:{self.port}/{self.database}.{self.table}"


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


@dataclass
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    layout: str = "dashboard"
    mock: bool = False
    mock_rate: float = 5.0  # transactions per second
    title: str = "File Transfer Monitor"
    secret_key: Optional[str] = None
    database: DashboardDb = field(default_factory=DashboardDb)
    tracking: Optional[TrackingConfig] = None
    limits: LayoutLimits = None  # type: ignore[assignment]  # None: the layout's defaults
    features: Features = field(default_factory=Features)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    pool_size: int = 4
    cache_s: float = 1.0  # the polled JSON is computed at most once per this interval
    config_path: Optional[str] = None

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise UsageError(f"unknown layout {self.layout!r}; expected pair or dashboard")
        if self.limits is None:
            self.limits = DEFAULT_LIMITS[self.layout]


# -- converters shared by YAML, environment and flags ------------------------------------

def _positive_float(value: Any) -> float:
    number = float(str(value).strip())
    if number <= 0:
        raise ValueError("must be greater than 0")
    return number


def _cache_seconds(value: Any) -> float:
    """How long polled answers are shared: a duration, or 0 / off for none."""
    if isinstance(value, bool) and not value:
        return 0.0
    text = str(value).strip().lower()
    if text in ("0", "0s", "off", "no", "false", "none"):
        return 0.0
    return as_duration(value)


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


def _layout(value: Any) -> str:
    text = as_text(value).lower()
    if text not in LAYOUTS:
        raise ValueError("is not a layout")
    return text


# -- the web: section --------------------------------------------------------------------

def _apply_yaml(settings: WebSettings, raw: Any, path: Optional[str]) -> WebSettings:
    web = Section(raw, file=path, prefix="web")
    values: Dict[str, Any] = {}
    values["host"] = web.get("host", as_text, default=settings.host)
    values["port"] = web.get("port", as_port, default=settings.port)
    values["layout"] = web.get("layout", default=settings.layout, choices=LAYOUTS)
    values["title"] = web.get("title", as_text, default=settings.title)
    values["secret_key"] = web.secret("secret_key") or settings.secret_key
    values["pool_size"] = web.get("pool_size", as_positive_int, default=settings.pool_size)
    values["cache_s"] = web.get("cache", _cache_seconds, default=settings.cache_s,
                                expected="a duration such as 1s, or off")

    mock = web.section("mock")
    values["mock"] = mock.get("enabled", as_bool, default=settings.mock)
    values["mock_rate"] = mock.get("rate", as_rate, default=settings.mock_rate, expected="a rate such as 5/s")
    mock.done()

    db = web.section("database")
    values["database"] = DashboardDb(
        host=db.get("host", as_text, default="127.0.0.1"),
        port=db.get("port", as_port, default=3306),
        user=db.get("user", as_text, default=""),
        password=db.secret("password"),
        database=db.get("database", as_text, default="dashboard"),
        table=db.get("table", as_text, default="transactions"),
        connect_timeout=db.get("connect_timeout", as_duration, default=5.0),
        read_timeout=db.get("read_timeout", as_duration, default=30.0),
    )
    db.done()

    web.section("refresh")  # read by _parse_limits once the final layout is known
    web.section("rows")

    feats = web.section("features")
    values["features"] = Features(**{name: feats.get(name, as_bool, default=getattr(settings.features, name))
                                     for name in ("sorting", "filtering", "copy", "admin")})
    feats.done()

    retry = web.section("retry")
    values["retry"] = RetryPolicy(
        initial=retry.get("initial", as_duration, default=settings.retry.initial),
        max=retry.get("max", as_duration, default=settings.retry.max),
        multiplier=retry.get("multiplier", _positive_float, default=settings.retry.multiplier),
    )
    retry.done()
    web.done()
    return replace(settings, **values)


def _parse_limits(raw_web: Any, layout: str, path: Optional[str]) -> LayoutLimits:
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


# -- environment ---------------------------------------------------------------------------

def _env(environ: Mapping[str, str], name: str, convert: Callable[[Any], Any], expected: str) -> Any:
    key = ENV_PREFIX + name
    raw = environ.get(key)
    if raw is None or raw.strip() == "":
        return None
    try:
        return convert(raw)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"environment variable {key}={raw!r}: {exc}; expected {expected}") from None


def _apply_env(settings: WebSettings, environ: Mapping[str, str]) -> WebSettings:
    simple = {
        "host": (as_text, "a host name or address"),
        "port": (as_port, "a port number"),
        "layout": (_layout, "pair or dashboard"),
        "mock": (as_bool, "true or false"),
        "mock_rate": (as_rate, "a rate such as 5/s"),
        "secret_key": (as_text, "a random string"),
        "title": (as_text, "text"),
    }
    values: Dict[str, Any] = {}
    for name, (convert, expected) in simple.items():
        value = _env(environ, name.upper(), convert, expected)
        if value is not None:
            values[name] = value
    db_values: Dict[str, Any] = {}
    for name, env_name, convert, expected in (
        ("host", "DB_HOST", as_text, "a host name"),
        ("port", "DB_PORT", as_port, "a port number"),
        ("user", "DB_USER", as_text, "a user name"),
        ("password", "DB_PASSWORD", str, "a password"),
        ("database", "DB_NAME", as_text, "a database name"),
        ("table", "DB_TABLE", as_text, "a table name"),
    ):
        value = _env(environ, env_name, convert, expected)
        if value is not None:
            db_values[name] = value
    if db_values:
        values["database"] = replace(settings.database, **db_values)
    admin = _env(environ, "ADMIN", as_bool, "true or false")
    if admin is not None:
        values["features"] = replace(settings.features, admin=admin)
    return replace(settings, **values)


def load_env_file(path: Optional[str]) -> None:
    """Load ``path`` (or ``./.env`` when it exists) into os.environ without overriding it."""
    from dotenv import load_dotenv

    if path is not None:
        if not os.path.isfile(path):
            raise UsageError(f"env file not found: {path}")
        load_dotenv(path, override=False)
    elif os.path.isfile(".env"):
        load_dotenv(".env", override=False)


# -- putting it together ------------------------------------------------------------------

def load_settings(
    config_path: Optional[str] = None,
    *,
    run_config: Optional[RunConfig] = None,
    environ: Optional[Mapping[str, str]] = None,
    flags: Optional[Mapping[str, Any]] = None,
) -> WebSettings:
    """Build the settings; ``flags`` holds only options given on the command line (None = not given)."""
    settings = WebSettings()
    raw_web: Any = None
    if run_config is None and config_path is not None:
        run_config = read_config(config_path)
    if run_config is not None:
        raw_web = run_config.web
        settings = replace(settings, tracking=run_config.tracking, config_path=run_config.path)
    settings = _apply_yaml(settings, raw_web, settings.config_path)
    settings = _apply_env(settings, os.environ if environ is None else environ)
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    settings = replace(settings, **given)
    return replace(settings, limits=_parse_limits(raw_web, settings.layout, settings.config_path))


def read_config(path: str) -> RunConfig:
    """The job YAML for fth-web: jobs are optional, only ``tracking:`` and ``web:`` matter."""
    from fth.config import loader
    from fth.config.reader import load_yaml

    data = load_yaml(path)
    if data.get("jobs"):
        return loader.parse_run_config(data, path, check_paths=False)
    top = Section(data, file=path)
    tracking = loader.parse_tracking(top.section("tracking")) if top.has("tracking") else None
    return RunConfig(path=path, jobs=[], tracking=tracking, web=data.get("web"))


def ensure_secret_key(settings: WebSettings) -> str:
    """The configured secret, or a random one for this process (never a fixed default)."""
    return settings.secret_key or secrets.token_hex(32)


def describe_sources(settings: WebSettings) -> List[str]:
    if settings.mock:
        return [f"mock data at {settings.mock_rate:g}/s"]
    if settings.layout == "dashboard":
        return [settings.database.describe() if settings.database.configured else "no database configured"]
    if settings.tracking is None:
        return ["no tracking databases configured"]
    return [settings.tracking.ingress.describe(), settings.tracking.egress.describe()]


__all__ = ["LAYOUTS", "ConfigError", "DashboardDb", "Features", "LayoutLimits", "RetryPolicy", "WebSettings",
           "ensure_secret_key", "load_env_file", "load_settings", "read_config"]
