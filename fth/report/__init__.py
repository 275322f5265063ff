"""The report engine: tracking rows → pairs → statistics → one self-contained HTML file.

Shared by ``fth-report`` and ``fth-web``'s report form. Stable API:

``fth.report.compute`` (generic, no database knowledge)
    ``Record(username, filename, start, end, status, passed, *, size=None, uuid=None,
    ingress_status=None, kind="pair", job=None)`` — one transfer; ``start``/``end`` in epoch
    seconds; ``.transit`` (s), ``.outcome`` (``pass``/``fail``/``timeout``/``pending``).
    ``summarize(records, *, jobs=None, window=None, max_buckets=60, total_name=...) -> Summary``
    — ``jobs`` maps username → job name (groups are jobs; unknown usernames listed), without it
    groups are usernames. ``Summary`` has ``total`` and ``groups`` (``GroupStats``: files,
    passed/failed/timeout/pending, pass_rate (%), by_status, by_pair_status, bytes,
    files_per_s, bytes_per_s, ``transit`` and ``rate`` ``Distribution`` (count, min, max, avg,
    median, p95, p99, stddev)), ``timeline`` (``Bucket``: start, files, passed, failed, bytes),
    ``transit_histogram``, ``unknown_users`` [(username, rows)], ``records``.
    ``group_stats(name, records) -> GroupStats`` for one set.

``fth.report.pairing`` (the two tracking databases of seed 000)
    ``collect(ingress_store, egress_store, start, end) -> Pairing`` with ``pairs``,
    ``ingress_only``, ``egress_only`` (lists of ``Record``), ``issues`` (``QualityIssue``:
    kind, uuid, detail) and ``records``.

``fth.report.render``
    ``render_report(summary, context=None, **fields) -> str`` — the HTML; ``ReportContext``
    fields: title, window_label, generated_at, meta {label: value}, jobs [(name, username,
    protocol)], ingress_only, egress_only, issues, not_ingested, group_label ("Job" or
    "Username"), stage_labels (("Ingress", "Egress")), notes. ``write_atomic(path, text)``.

``fth.report.summary_json``
    ``summary_dict(summary, pairing=None, jobs=(), not_ingested=()) -> dict`` — the
    ``--summary-json`` shape (``jobs``: [(job name, username)]).

``fth.report.cli``
    ``build_parser()``, ``run(args) -> int`` (behind ``fth.main.report_main``); ``gather(ingress,
    egress, start, end, poll, settle) -> Pairing`` re-queries until paired or settled.

Example (fth-web, dashboard rows)::

    from fth.report.compute import Record, summarize
    from fth.report.render import render_report
    records = [Record(r.username, r.file_name, r.ingress_time.timestamp(), r.egress_time.timestamp(),
                      r.status, r.status == "COMPLETE", size=r.file_size) for r in rows]
    html = render_report(summarize(records, window=(t0, t1)), title="Transactions",
                         group_label="Username", stage_labels=("Ingress", "Status"))
"""
