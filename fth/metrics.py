"""Prometheus metrics of a running run, read from its live statistics at scrape time.

:class:`RunCollector` keeps no counters of its own: each scrape reads the
:class:`~fth.stats.JobStats` the recorder already keeps, so ``/metrics``, the live
view and the summary are one set of figures. Every transfer is counted once in
``fth_transfers_total`` under one outcome (``succeeded``, ``failed``, ``not_sent``);
``fth_errors_total`` splits ``failed`` by fault kind. Label values are bounded:
``fth_job`` comes from the job file, ``kind`` from :mod:`fth.faults` (``http_<code>``
for status faults), ``outcome`` is one of three. The job's name is in ``fth_job``:
Prometheus sets ``job`` itself (the scrape job), so a ``job`` label would be renamed.
"""

from typing import Iterator, Tuple

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from fth.engine.runner import Runner

#: upper bounds (seconds) of the latency histogram's buckets; +Inf is added
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

OUTCOMES = ("succeeded", "failed", "not_sent")

#: the job label: ``job`` (and ``job_name``, from the pods' ``job-name`` label) are Prometheus's own
JOB = "fth_job"


class RunCollector(Collector):
    """The figures of one run's jobs, as Prometheus metric families."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner

    def collect(self) -> Iterator[Metric]:
        runner = self.runner
        now = runner.now() if runner.started_at else 0.0
        transfers = CounterMetricFamily(
            "fth_transfers", "Finished transfers by job and outcome; each transfer is counted once",
            labels=[JOB, "outcome"])
        errors = CounterMetricFamily(
            "fth_errors", "Failed transfers by job and fault kind (they add up to outcome=failed)",
            labels=[JOB, "kind"])
        sent = CounterMetricFamily("fth_sent_bytes", "Bytes of successful transfers", labels=[JOB], unit="bytes")
        latency = HistogramMetricFamily(
            "fth_transfer_latency_seconds", "Time from the intended send time to the end of the transfer",
            labels=[JOB])
        in_flight = GaugeMetricFamily("fth_in_flight", "Transfers in progress", labels=[JOB])
        target = GaugeMetricFamily("fth_target_rate_per_second", "The job's target send rate now", labels=[JOB])
        for name, state in runner.states.items():
            stats = state.stats
            for outcome, value in zip(OUTCOMES, (stats.succeeded, stats.failed, stats.not_sent)):
                transfers.add_metric([name, outcome], value)
            for kind, value in sorted(stats.errors.items()):
                errors.add_metric([name, kind], value)
            sent.add_metric([name], stats.bytes)
            buckets = [(_le(bound), count) for bound, count in
                       zip(LATENCY_BUCKETS, stats.latency.cumulative(LATENCY_BUCKETS))]
            buckets.append(("+Inf", stats.latency.count))
            latency.add_metric([name], buckets, stats.latency.total)
            in_flight.add_metric([name], stats.in_flight)
            target.add_metric([name], runner.schedules[name].rate_at(now) if runner.started_at else 0.0)
        yield transfers
        yield errors
        yield sent
        yield latency
        yield in_flight
        yield target
        yield GaugeMetricFamily("fth_run_elapsed_seconds", "Seconds since the run started", value=now)


def _le(bound: float) -> str:
    return repr(float(bound))


def run_registry(runner: Runner) -> CollectorRegistry:
    """A registry with the run's metrics and this process's (CPU, memory, open files)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RunCollector(runner))
    ProcessCollector(registry=registry)
    return registry


def exposition(registry: CollectorRegistry) -> Tuple[bytes, str]:
    """The registry's metrics in the Prometheus text format, with its content type."""
    return generate_latest(registry), CONTENT_TYPE_LATEST


__all__ = ["JOB", "LATENCY_BUCKETS", "OUTCOMES", "RunCollector", "exposition", "run_registry"]
