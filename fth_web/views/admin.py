"""Administrative functions: clear the dashboard table.

Off unless ``web.features.admin`` (or FTH_WEB_ADMIN) is true; the pair layout
reads tracking databases and is always read-only. Clearing is a POST carrying the
session's CSRF token and the typed confirmation word; the number of rows removed
is shown and logged.
"""

import hmac
import logging
import secrets
from typing import Any, Optional, Tuple

from flask import Blueprint, render_template, request, session

from fth_web import web_state
from fth_web.connections import DatabaseUnavailable
from fth_web.settings import describe_sources

log = logging.getLogger(__name__)
bp = Blueprint("admin", __name__, url_prefix="/admin")

CONFIRM_WORD = "CLEAR"


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def _csrf_ok(sent: Optional[str]) -> bool:
    expected = session.get("csrf")
    return bool(expected and sent and hmac.compare_digest(str(expected), str(sent)))


def _blocked() -> Optional[str]:
    state = web_state()
    if state.source.layout == "pair":
        return "The pair layout reads the tracking databases and is read-only: nothing can be cleared here."
    if not state.settings.features.admin:
        return ("Administrative functions are disabled. Enable them with web.features.admin: true in the job "
                "YAML or FTH_WEB_ADMIN=true.")
    if not state.source.writable:
        return "This data source cannot be cleared."
    return None


def _page(status: int = 200, **context: Any) -> Tuple[str, int]:
    state = web_state()
    return render_template("admin/index.html", blocked=_blocked(), csrf=csrf_token(), confirm_word=CONFIRM_WORD,
                           target=_target(), source_kind=state.source.kind, **context), status


def _target() -> str:
    """What the page is about, in the words of the startup log line (describe_sources)."""
    state = web_state()
    if state.source.kind == "mock":
        return "the mock data held in memory"
    if state.source.kind == "example":
        return "the example rows"
    return " and ".join(describe_sources(state.settings))


@bp.get("/")
def index() -> Tuple[str, int]:
    return _page()


@bp.post("/clear")
def clear() -> Tuple[str, int]:
    blocked = _blocked()
    if blocked:
        log.warning("admin: clear refused (%s)", "read-only layout" if "read-only" in blocked else "disabled")
        return _page(403, error=blocked)
    if not _csrf_ok(request.form.get("csrf_token")):
        log.warning("admin: clear refused: missing or wrong CSRF token")
        return _page(400, error="The form has expired or was not sent from this page. Reload the page and try again.")
    typed = (request.form.get("confirm") or "").strip()
    if typed != CONFIRM_WORD:
        return _page(400, error=f"Type {CONFIRM_WORD} in capitals to confirm; nothing was removed.")
    try:
        removed = web_state().source.clear()
    except DatabaseUnavailable as exc:
        log.error("admin: clear failed: %s", exc)
        return _page(503, error=f"Nothing was removed: {exc}")
    log.warning("admin: cleared %s: %d rows removed (requested from %s)", _target(), removed,
                request.remote_addr or "?")
    return _page(200, removed=removed)
