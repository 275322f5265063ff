"""The single monitor page; everything on it is filled in by static/js/monitor.js from the JSON API."""

from typing import Any, Dict

from flask import Blueprint, render_template, url_for

from fth_web import web_state
from fth_web.sources.base import WINDOWS_MIN

bp = Blueprint("monitor", __name__)


def page_config() -> Dict[str, Any]:
    """What the page script needs to know, embedded as JSON in the page."""
    state = web_state()
    settings = state.settings
    limits = settings.limits
    return {
        "layout": state.source.layout,
        "source": state.source.kind,
        "columns": state.source.columns(),
        "statuses": list(state.source.statuses()),
        "refresh": {"choices": list(limits.refresh_choices), "default": limits.refresh_default,
                    "min": limits.refresh_min, "max": limits.refresh_max},
        "rows": {"choices": list(limits.row_choices), "default": limits.row_default, "max": limits.row_max},
        "windows": list(WINDOWS_MIN),
        "features": {"sorting": settings.features.sorting, "filtering": settings.features.filtering,
                     "copy": settings.features.copy},
        "live": state.live_provider is not None,
        "api": {"transactions": url_for("api.transactions"), "panels": url_for("api.panels"),
                "status": url_for("api.status"), "live": url_for("api.live"),
                "usernames": url_for("api.usernames")},
    }


@bp.get("/")
def index() -> str:
    return render_template("monitor/index.html", config=page_config())
