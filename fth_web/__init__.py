"""fth-web: the live monitor of File Transfer Harness (Flask, served by gevent).

``create_app(settings=None, live_provider=None)`` is the application factory:
one blueprint per area (``views/monitor.py`` the page, ``views/api.py`` the JSON
it polls, ``views/reports.py`` the report form, ``views/admin.py`` the admin
page). The data source is built once per app from the settings and kept in
``app.extensions["fth_web"]``.
"""

import logging
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional

from flask import Flask, render_template

from fth_web.settings import WebSettings, describe_sources, ensure_secret_key
from fth_web.sources import CachedSource, Source, make_source

log = logging.getLogger(__name__)

LiveProvider = Callable[[], Dict[str, Any]]


@dataclass
class WebState:
    settings: WebSettings
    source: Source
    live_provider: Optional[LiveProvider] = None


def create_app(settings: Optional[WebSettings] = None, live_provider: Optional[LiveProvider] = None,
               source: Optional[Source] = None) -> Flask:
    """Build the Flask app; ``source`` overrides the one the settings describe (tests, embedding)."""
    settings = settings or WebSettings()
    log.info("fth-web: %s layout (%s), data from %s", settings.layout,
             "as configured" if settings.layout_given else "chosen from the configuration",
             "; ".join(describe_sources(settings)))
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=ensure_secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        FTH_SETTINGS=settings,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]  # records keep their column order
    inner = source or make_source(settings)
    cached = CachedSource(inner, settings.cache_s)
    state = WebState(settings=settings, source=cached, live_provider=live_provider)
    app.extensions["fth_web"] = state

    from fth_web import security
    from fth_web.shared import SharedAnswers
    from fth_web.views import admin, api, metrics, monitor, reports

    app.register_blueprint(monitor.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(metrics.bp)
    security.install(app)
    app.wsgi_app = SharedAnswers(app.wsgi_app, cached)  # type: ignore[method-assign]

    @app.context_processor
    def inject_settings() -> Dict[str, Any]:
        return {"settings": settings, "source_kind": state.source.kind}

    @app.errorhandler(404)
    def not_found(error: Any) -> Any:
        return render_template("error.html", code=404, message="There is no page at this address."), 404

    @app.errorhandler(405)
    def not_allowed(error: Any) -> Any:
        return render_template("error.html", code=405, message="This page does not accept that method."), 405

    @app.errorhandler(500)
    def server_error(error: Any) -> Any:
        log.error("internal error: %s", getattr(error, "original_exception", error))
        return render_template("error.html", code=500,
                               message="Something went wrong on the server; the details are in its log."), 500

    return app


def web_state(app: Optional[Flask] = None) -> WebState:
    from flask import current_app

    return (app or current_app).extensions["fth_web"]


__all__ = ["LiveProvider", "WebState", "create_app", "web_state"]
