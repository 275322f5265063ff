"""/metrics: the run's figures in the Prometheus text format, checked against the run's summary."""

import re
from typing import Dict, Tuple

import gevent
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from fth.config import load_run_config
from fth.engine.runner import Runner
from fth.metrics import LATENCY_BUCKETS, run_registry
from fth.stats import Histogram
from fth.summary import build_summary
from fth_web import create_app
from fth_web.settings import WebSettings
from fth_web.views.metrics import attach
from tests.fixtures.cli import http_job
from tests.fixtures.process import fth_serving_web

Samples = Dict[Tuple[str, Tuple[Tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    """Every sample of a scrape, keyed by (sample name, sorted labels)."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_histogram_cumulative_counts_follow_the_bounds():
    hist = Histogram()
    for seconds in (0.001, 0.02, 0.02, 0.3, 7.0, 120.0):
        hist.record(seconds)
    assert hist.cumulative(LATENCY_BUCKETS) == [1, 1, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5]


def test_metrics_during_a_run_match_the_summary(write_config, make_http_server, source_dir):
    """Scrapes during the run only grow; the last one equals the summary, outcome by outcome."""
    ok, broken, slow = make_http_server(), make_http_server(status=503), make_http_server(delay=0.3)
    config = load_run_config(str(write_config({"duration": "2s", "stop_timeout": "5s", "jobs": [
        http_job("ok", ok.url, source_dir, rate="40/s"),
        http_job("broken", broken.url, source_dir, rate="20/s"),
        http_job("slow", slow.url, source_dir, rate="30/s", mode="fire", max_in_flight=2),
    ]})))
    runner = Runner(config, config.jobs)
    app = create_app(WebSettings(mock=True, cache_s=0))
    attach(app, run_registry(runner))
    client = app.test_client()
    run = gevent.spawn(runner.run, config.duration)
    scrapes = []
    while not run.ready():
        gevent.sleep(0.4)
        response = client.get("/metrics")
        assert response.status_code == 200 and response.content_type.startswith("text/plain")
        scrapes.append(parse(response.get_data(as_text=True)))
    run.get()
    final = parse(client.get("/metrics").get_data(as_text=True))
    summary = build_summary(runner)

    assert len(scrapes) >= 3
    for earlier, later in zip(scrapes, [*scrapes[1:], final]):
        for key, number in earlier.items():
            if key[0] in ("fth_transfers_total", "fth_errors_total", "fth_sent_bytes_total"):
                assert later.get(key, 0) >= number, key
    jobs = {job["name"]: job for job in summary["jobs"]}
    for name, job in jobs.items():
        assert value(final, "fth_transfers_total", fth_job=name, outcome="succeeded") == job["succeeded"]
        assert value(final, "fth_transfers_total", fth_job=name, outcome="failed") == job["failed"]
        assert value(final, "fth_transfers_total", fth_job=name, outcome="not_sent") == job["not_sent"]
        assert sum(value(final, "fth_transfers_total", fth_job=name, outcome=o)
                   for o in ("succeeded", "failed", "not_sent")) == job["attempted"]
        for kind, count in job["errors"].items():
            assert value(final, "fth_errors_total", fth_job=name, kind=kind) == count
        assert value(final, "fth_sent_bytes_total", fth_job=name) == job["bytes"]
        assert value(final, "fth_transfer_latency_seconds_count", fth_job=name) == job["attempted"] - job["not_sent"]
        assert value(final, "fth_transfer_latency_seconds_bucket", fth_job=name, le="+Inf") == \
            job["attempted"] - job["not_sent"]
        assert value(final, "fth_in_flight", fth_job=name) == 0
    assert jobs["ok"]["succeeded"] == len(ok.requests) > 0
    assert value(final, "fth_errors_total", fth_job="broken", kind="http_503") == len(broken.requests) > 0
    assert jobs["slow"]["not_sent"] > 0
    assert value(final, "fth_target_rate_per_second", fth_job="ok") == 40
    assert any(key[0] == "process_cpu_seconds_total" for key in final)


def test_fth_web_without_a_run_has_no_metrics():
    response = create_app(WebSettings(mock=True, cache_s=0)).test_client().get("/metrics")
    assert response.status_code == 404 and b"fth --web" in response.data


@pytest.mark.timeout(90)
def test_fth_web_flag_serves_metrics_during_the_run(write_config, http_server, source_dir, tmp_path):
    """``fth --web`` serves /metrics while it sends; what it shows is within the final summary."""
    import json

    config = write_config({"jobs": [http_job("live", http_server.url, source_dir, rate="20/s")]})
    out = tmp_path / "out.json"
    with fth_serving_web(config, out) as (url, process):
        while len(http_server.requests) < 10:
            gevent.sleep(0.1)
        scraped = parse(requests.get(url + "/metrics", timeout=5).text)
    assert process.returncode == 0
    job = json.loads(out.read_text())["jobs"][0]
    succeeded = value(scraped, "fth_transfers_total", fth_job="live", outcome="succeeded")
    assert 10 <= succeeded <= job["succeeded"] == len(http_server.requests)
    assert value(scraped, "fth_target_rate_per_second", fth_job="live") == 20
    assert value(scraped, "fth_transfer_latency_seconds_count", fth_job="live") >= succeeded


def _references(expr: str) -> Tuple[set, set]:
    """(metric names, label names) a PromQL expression reads."""
    labels = {name.strip() for group in re.findall(r"by \(([^)]*)\)", expr) for name in group.split(",")}
    labels |= {name for matchers in re.findall(r"\{([^}]*)\}", expr) for name in re.findall(r"(\w+)\s*=~?\"", matchers)}
    stripped = re.sub(r"by \([^)]*\)|\{[^}]*\}|\[[^\]]*\]", " ", expr)
    metrics = {word for word, call in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(\(?)", stripped) if not call}
    return metrics, labels


def test_grafana_dashboard_reads_only_what_metrics_serves(write_config, make_http_server, source_dir):
    import json
    from pathlib import Path

    ok, broken = make_http_server(), make_http_server(status=500)
    config = load_run_config(str(write_config({"duration": "1s", "jobs": [
        http_job("ok", ok.url, source_dir, rate="20/s"), http_job("broken", broken.url, source_dir, rate="20/s")]})))
    runner = Runner(config, config.jobs)
    app = create_app(WebSettings(mock=True, cache_s=0))
    attach(app, run_registry(runner))
    runner.run(config.duration)
    families = list(text_string_to_metric_families(app.test_client().get("/metrics").get_data(as_text=True)))
    served = {sample.name for family in families for sample in family.samples}
    served_labels = {label for family in families for sample in family.samples for label in sample.labels}

    dashboard = json.loads((Path(__file__).parent.parent / "contrib" / "grafana" / "fth-dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    legends = [target["legendFormat"] for panel in dashboard["panels"] for target in panel["targets"]]
    variables = [re.fullmatch(r"label_values\((\w+), (\w+)\)", var["definition"]).groups()
                 for var in dashboard["templating"]["list"] if var["type"] == "query"]
    assert len(exprs) >= 10 and variables
    for metric, label in variables:
        assert metric in served and label in served_labels
    for expr in exprs:
        metrics, labels = _references(expr)
        assert metrics and metrics <= served, (expr, metrics - served)
        assert labels <= served_labels, (expr, labels - served_labels)
    for legend in legends:
        assert set(re.findall(r"\{\{(\w+)\}\}", legend)) <= served_labels, legend
    assert {"fth_errors_total", "fth_transfer_latency_seconds_bucket", "fth_sent_bytes_total"} <= served
