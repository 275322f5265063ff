"""``/metrics``: the attached run's figures in the Prometheus text format (see :mod:`fth.metrics`).

``fth --web`` attaches its run with :func:`attach`; an fth-web without a run answers 404.
"""

from flask import Blueprint, Flask, Response, current_app
from prometheus_client import CollectorRegistry

from fth.metrics import exposition

bp = Blueprint("metrics", __name__)

_EXTENSION = "fth_metrics"


def attach(app: Flask, registry: CollectorRegistry) -> None:
    """Serve ``registry`` (e.g. :func:`fth.metrics.run_registry`) on this app's ``/metrics``."""
    app.extensions[_EXTENSION] = registry


@bp.get("/metrics")
def metrics() -> Response:
    registry = current_app.extensions.get(_EXTENSION)
    if registry is None:
        return Response("no run is attached: /metrics is served by fth --web during a run\n",
                        status=404, mimetype="text/plain")
    body, content_type = exposition(registry)
    return Response(body, content_type=content_type)
