"""The report engine: tracking rows → pairs → statistics → one self-contained HTML file + one JSON document.

One engine for every path: ``fth-report``, ``fth --demo`` (through fth-report) and fth-web's pair
layout (its report form and its panels). Stable API:

``fth.report.engine`` (the entry point)
    ``ReportRequest(start, end, jobs=(), username=None, poll=None, settle=600, transfer_log=None,
    title=..., max_rows=None, full_list=None, full_list_path=None)``; ``build_report(ingress_store, egress_store,
    request) -> Report`` reads and pairs the window (re-querying until settled with ``poll``),
    cross-checks the transfer log, groups jobs by username (``fth.config.model.job_groups``:
    jobs sharing one form "job-b + job-c") and computes;
    ``report_from_config(tracking, request)`` opens and checks the stores first. ``Report`` has
    ``summary``, ``pairing``, ``context`` (for the HTML), ``document`` (the ``--summary-json``
    dict), ``html_chunks()``, ``json_text()`` (the file's exact text), ``list_is_cut`` (more
    transactions than ``max_rows``: the HTML keeps every exception and the first passed ones) and
    ``full_list_chunks()`` (every transaction as CSV, for the sibling file named ``full_list``). With
    ``full_list_path`` and a cut list, that file is written by a helper process while the report is
    computed and rendered (``fth.report.full_list``): ``Report.finish()`` waits for it and raises its
    error; a ``Report`` used as a context manager stops it on any other way out.

``fth.report.compute`` (generic, no database knowledge)
    ``Record(username, filename, start, end, status, passed, *, size=None, uuid=None,
    ingress_status=None, kind="pair", job=None, in_progress=False)`` — one transfer; ``start``/``end``
    in epoch seconds; ``.transit`` (s), ``.outcome`` (``pass``/``fail``/``timeout``/``pending``).
    ``summarize(records, *, jobs=None, window=None, max_buckets=60, total_name=...) -> Summary``
    in one pass — ``jobs`` maps username → group name; ``ingress_only`` records count as
    ``lost``. ``GroupStats``: files (paired), lost, passed/failed/timeout/pending, pass_rate
    (passed / (paired + lost) × 100), by_status, by_pair_status, bytes, ``transit`` and ``rate``
    ``Distribution`` (negative transits left out); ``Summary``: ``total``, ``groups``,
    ``timeline``, ``transit_histogram``, ``unknown_users`` [(username, rows)],
    ``unknown_included``, ``records``.

``fth.report.pairing`` (the two tracking databases of seed 000)
    ``collect(ingress_store, egress_store, start, end, username=None) -> Pairing`` with ``pairs``,
    ``ingress_only``, ``egress_only``, ``issues`` (``QualityIssue``: kind, uuid, detail, rows) and
    ``records``; ``index_rows`` and ``partners`` are the one rule for which row partners which
    (``collect`` applies it to the window's egress rows as they stream in).

``fth.report.render``
    ``render_report(summary, context=None, **fields) -> str`` / ``render_report_chunks``;
    ``ReportContext`` fields: title, window_label, generated_at, meta, jobs [(group, username,
    protocol)], ingress_only, egress_only, issues, not_ingested, unknown_rows, group_label,
    stage_labels, notes, decimals, max_rows, full_list. ``transaction_csv(records, known_jobs)``;
    ``transaction_csv_of(chunks, known_jobs)`` (the same from chunks of
    ``TX_FIELDS`` columns, as ``record_columns(records)`` makes them); ``csv_field(text)`` (the one CSV cell
    rule: quoted as RFC 4180 says, a spreadsheet formula neutralised) and ``is_formula(text)``.

``fth.report.summary_json``
    ``summary_dict(summary, pairing=None, jobs=(), not_ingested=()) -> dict`` — the
    ``--summary-json`` shape (SPEC.md); ``jobs``: [(group name, username, job names)].

``fth.report.cli``
    ``build_parser()``, ``run(args) -> int`` (behind ``fth.main.report_main``).
"""
