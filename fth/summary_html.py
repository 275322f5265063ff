"""A run summary document (one process or merged segments) as one self-contained HTML page."""

from typing import Any, Dict, Optional, Sequence

import jinja2

from fth.faults import hint_for
from fth.units import format_bytes, format_duration, format_rate

_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>fth run summary {{ s.started }}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{padding:.25em .6em;border-bottom:1px solid #ddd}
th{text-align:left;background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
.bad{color:#b00020}.warn{color:#8a5a00}.bar{background:#4a7bd0;height:.8em;display:inline-block}
@media print{body{margin:0}}
</style></head><body>
<h1>fth run summary</h1>
<p>{{ s.started }} → {{ s.ended or "not finished" }} · {{ duration }} · stop: {{ s.stop_reason }} ·
segments {{ s.segment }}</p>
{% for w in warnings %}<p class="warn">⚠ {{ w }}</p>{% endfor %}
{% if s.breakpoint %}<p class="bad">Stop condition tripped: job {{ s.breakpoint.job }}: {{ s.breakpoint.condition }}
after {{ s.breakpoint.elapsed_s }} s</p>{% endif %}
<table><tr><th>job</th><th>kind</th><th>attempted</th><th>ok</th><th>failed</th><th>not sent</th><th>target</th>
<th>achieved</th><th>data</th><th>avg ms</th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr>
{% for j in rows %}<tr><td>{{ j.name }}</td><td>{{ j.kind }}</td><td class="n">{{ j.attempted }}</td>
<td class="n">{{ j.succeeded }}</td><td class="n{{ ' bad' if j.failed }}">{{ j.failed }}</td>
<td class="n">{{ j.not_sent }}</td><td class="n">{{ j.target }}</td><td class="n">{{ j.achieved }}</td>
<td class="n">{{ j.data }}</td>{% for v in j.latency %}<td class="n">{{ v }}</td>{% endfor %}</tr>{% endfor %}
</table>
{% if errors %}<h2>Errors by kind</h2><table><tr><th>job</th><th>kind</th><th>count</th><th>what to check</th></tr>
{% for e in errors %}<tr><td>{{ e[0] }}</td><td class="bad">{{ e[1] }}</td><td class="n">{{ e[2] }}</td>
<td>{{ e[3] }}</td></tr>{% endfor %}</table>{% endif %}
{% for j in s.jobs %}<h2>Timeline: {{ j.name }}</h2>
<table><tr><th>from s</th><th>attempted</th><th>ok</th><th>failed</th><th>p95 ms</th><th></th></tr>
{% for t in j.timeline %}<tr><td class="n">{{ t.start_s }}</td><td class="n">{{ t.attempted }}</td>
<td class="n">{{ t.succeeded }}</td><td class="n">{{ t.failed }}</td><td class="n">{{ t.p95_ms }}</td>
<td><span class="bar" style="width:{{ (300 * t.attempted / peak[j.name]) | round(1) }}px"></span></td></tr>
{% endfor %}</table>{% endfor %}
</body></html>
"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def _ms(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.1f}"


def render_summary_html(summary: Dict[str, Any], warnings: Sequence[str] = ()) -> str:
    rows = []
    for job in summary["jobs"] + [dict(summary["total"], name="TOTAL", protocol="", mode="")]:
        latency = job["latency_ms"]
        rows.append({"name": job["name"], "kind": f"{job['protocol']}/{job['mode']}" if job["protocol"] else "",
                     "attempted": job["attempted"], "succeeded": job["succeeded"], "failed": job["failed"],
                     "not_sent": job["not_sent"], "target": format_rate(job["target_rate_per_s"]),
                     "achieved": format_rate(job["achieved_rate_per_s"]), "data": format_bytes(job["bytes"]),
                     "latency": [_ms(latency[key]) for key in ("avg", "p50", "p95", "p99", "max")]})
    errors = [(job["name"], kind, count, hint_for(kind)) for job in summary["jobs"]
              for kind, count in job["errors"].items()]
    peak = {job["name"]: max([1] + [t["attempted"] for t in job["timeline"]]) for job in summary["jobs"]}
    return _ENV.from_string(_TEMPLATE).render(s=summary, rows=rows, errors=errors, peak=peak, warnings=warnings,
                                              duration=format_duration(summary["duration_s"]))
