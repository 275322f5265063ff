"""Settings of fth-web: defaults < ``web:`` in the job YAML < ``.env`` < ``FTH_WEB_*`` < flags.

The ``web:`` section is parsed by :mod:`fth.config` (:class:`fth.config.web.WebConfig`), like
every other section of the job file, so ``fth --check`` and fth-web reject the same mistakes
with file, line and key. This module layers the environment (a ``.env`` file is loaded into the
environment first, never overriding what is already set) and command-line flags on top, with
the same converters, naming the variable or flag on error.
"""

import os
import secrets
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, Dict, List, Mapping, Optional

from fth.config import load_run_config, sql_name
from fth.config.model import JobConfig, RunConfig, TrackingConfig
from fth.config.reader import as_bool, as_port, as_rate, as_text
from fth.config.web import (
    LAYOUTS,
    Features,
    LayoutLimits,
    RetryPolicy,
    WebConfig,
    choose_layout,
    layout_name,
    limits_for,
)
from fth.errors import UsageError

ENV_PREFIX = "FTH_WEB_"


@dataclass
class WebSettings(WebConfig):
    """What fth-web runs with: the ``web:`` section after environment and flags, plus the job file's
    ``tracking:`` databases and jobs (the pair layout's report maps usernames to jobs like fth-report)."""

    tracking: Optional[TrackingConfig] = None
    jobs: List[JobConfig] = field(default_factory=list)

    @property
    def config_path(self) -> Optional[str]:
        return self.path


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
        ("database", "DB_NAME", sql_name, "a database name"),
        ("table", "DB_TABLE", sql_name, "a table name"),
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
    if run_config is None and config_path is not None:
        run_config = load_run_config(config_path, check_paths=False, require_jobs=False)
    web = run_config.web if run_config is not None and run_config.web is not None else WebConfig()
    settings = WebSettings(**{f.name: getattr(web, f.name) for f in fields(WebConfig)})
    if run_config is not None:
        settings = replace(settings, tracking=run_config.tracking, jobs=list(run_config.jobs))
    environ = os.environ if environ is None else environ
    settings = _apply_env(settings, environ)
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    settings = replace(settings, **given)
    explicit = (given.get("layout") or _env(environ, "LAYOUT", layout_name, "pair or dashboard")
                or (web.layout if web.layout_given else None))
    layout = choose_layout(explicit, settings.database_configured, settings.tracking is not None)
    return replace(settings, layout=layout, layout_given=explicit is not None,
                   limits=limits_for(web.raw, layout, web.path))


def ensure_secret_key(settings: WebSettings) -> str:
    """The configured secret, or a random one for this process (never a fixed default)."""
    return settings.secret_key or secrets.token_hex(32)


def describe_sources(settings: WebSettings) -> List[str]:
    if settings.mock:
        return [f"mock data at {settings.mock_rate:g}/s"]
    if settings.layout == "dashboard":
        return [settings.database.describe() if settings.database_configured else "no database configured"]
    if settings.tracking is None:
        return ["no tracking databases configured"]
    return [settings.tracking.ingress.describe(), settings.tracking.egress.describe()]


__all__ = ["LAYOUTS", "Features", "LayoutLimits", "RetryPolicy", "WebSettings",
           "ensure_secret_key", "load_env_file", "load_settings"]
