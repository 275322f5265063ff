"""The JSON the monitor page polls: transactions, stage panels, connection states, live run figures.

Bad query parameters get a 400 with ``{"error": "..."}``; a database outage is
not an error here: the answer says so (``examples``/``notice``) and the page
keeps working.
"""

import json
import logging
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Optional, Tuple

from flask import Blueprint, Response, jsonify, request

from fth_web import web_state
from fth_web.connections import DatabaseUnavailable
from fth_web.shared import share
from fth_web.sources.base import WINDOWS_MIN

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api")

MAX_USERNAME = 255  # the tracking tables' VARCHAR(255): any stored username can be asked for


class BadParameter(ValueError):
    pass


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _error(message: str, code: int = 400) -> Tuple[Response, int]:
    return jsonify({"error": message}), code


def _int_param(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise BadParameter(f"{name} must be a whole number, not {raw[:40]!r}") from None
    if not low <= value <= high:
        raise BadParameter(f"{name} must be between {low} and {high}, not {value}")
    return value


def _age(computed_at: Optional[str]) -> Dict[str, Any]:
    """When the figures were computed (a background source's last finished result) and how old they are."""
    if computed_at is None:
        return {"computed_at": None, "age_s": 0.0}
    age = datetime.now(timezone.utc) - datetime.fromisoformat(computed_at)
    return {"computed_at": computed_at, "age_s": round(max(0.0, age.total_seconds()), 1)}


def _json(source: Any, key: Tuple[Any, ...], body: Callable[[], bytes]) -> Response:
    """A JSON response whose serialised body is shared by every poller for the cache interval (and, as the
    whole answer, by :class:`fth_web.shared.SharedAnswers`)."""
    cached_at = getattr(source, "cached_at", None)
    if cached_at is None:
        return Response(body(), mimetype="application/json")
    data, at = cached_at(key, body)
    share(at)
    return Response(data, mimetype="application/json")


def exact_username(raw: Optional[str]) -> Optional[str]:
    """A username exactly as given (stored names may have spaces at either end); blank means none."""
    return raw if raw and raw.strip() else None


def _filters() -> Tuple[Optional[str], Optional[str]]:
    state = web_state()
    username = exact_username(request.args.get("username"))
    status = (request.args.get("status") or "").strip().upper() or None
    if (username or status) and not state.settings.features.filtering:
        raise BadParameter("filtering is disabled in this monitor's settings")
    if username and len(username) > MAX_USERNAME:
        raise BadParameter(f"username must be at most {MAX_USERNAME} characters")
    if status and status not in state.source.statuses():
        raise BadParameter(f"status must be one of {', '.join(state.source.statuses())}, not {status[:40]!r}")
    return username, status


@bp.errorhandler(BadParameter)
def bad_parameter(exc: BadParameter) -> Tuple[Response, int]:
    return _error(str(exc))


@bp.get("/transactions")
def transactions() -> Response:
    state = web_state()
    limits = state.settings.limits
    limit = _int_param("limit", limits.row_default, 1, limits.row_max)
    username, status = _filters()

    def body() -> bytes:
        recent = state.source.recent(limit, username, status)
        return json.dumps({
            "generated_at": _now(), "layout": state.source.layout, "source": state.source.kind,
            "examples": recent.examples, "notice": recent.notice, **_age(recent.computed_at),
            "count": len(recent.rows), "rows": recent.rows,
        }, default=str).encode("utf-8")

    return _json(state.source, ("json-transactions", limit, username, status), body)


@bp.get("/panels")
def panels() -> Response:
    state = web_state()
    window = _int_param("window", 10, 1, 1440)
    if window not in WINDOWS_MIN:
        raise BadParameter(f"window must be one of {', '.join(str(w) for w in WINDOWS_MIN)} minutes, not {window}")

    def body() -> bytes:
        result = state.source.panels(window)
        return json.dumps({"generated_at": _now(), "window_min": result.window_min, "examples": result.examples,
                           "notice": result.notice, **_age(result.computed_at),
                           "stages": result.stages}).encode("utf-8")

    return _json(state.source, ("json-panels", window), body)


@bp.get("/status")
def status() -> Response:
    state = web_state()

    def body() -> bytes:
        connections = state.source.connections()
        healthy = all(c["state"] in ("up", "idle") for c in connections)
        return jsonify({"generated_at": _now(), "source": state.source.kind, "healthy": healthy,
                        "connections": connections}).get_data()

    return _json(state.source, ("json-status",), body)


@bp.get("/usernames")
def usernames() -> Any:
    try:
        names = web_state().source.usernames()
    except DatabaseUnavailable as exc:
        return _error(str(exc), 503)
    return jsonify({"usernames": names})


@bp.get("/live")
def live() -> Any:
    provider = web_state().live_provider
    if provider is None:
        return _error("no load run is attached to this monitor", 404)
    try:
        figures: Dict[str, Any] = dict(provider())
    except Exception as exc:
        log.warning("live run figures unavailable: %s", exc, exc_info=log.isEnabledFor(logging.DEBUG))
        return _error(f"live run figures unavailable: {type(exc).__name__}", 503)
    figures.setdefault("generated_at", _now())
    return jsonify(figures)
