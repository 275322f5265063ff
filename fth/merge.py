"""``fth merge``: add up the summary documents of a run's segments into one summary.

    fth merge seg0.json seg1.json … -o total.json [--html total.html]
    kubectl logs … | fth merge - -o total.json      (one document per line; other lines ignored)

Counts are summed and histogram buckets added, so percentiles come from the merged histograms
with the error bound of one process; timelines are aligned on the common origin. Documents of
different job files, of different segment counts or with a segment in common are refused;
missing segments are reported.
"""

import argparse
import json
import logging
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

from fth.atomicfile import write_atomic
from fth.cli import add_logging_options, new_parser
from fth.console import Style, render_summary, write_lines
from fth.errors import UsageError
from fth.log import colour_wanted, setup_logging
from fth.parts import RunParts
from fth.status import ExitStatus
from fth.stream import parse_line
from fth.summary import summary_document

log = logging.getLogger(__name__)

MERGE_HELP = """\
Add up the --summary-json documents of a run's segments (fth --segment I/N, or documents
merged before) into one summary: counts summed, percentiles from the merged histograms,
timelines aligned on the common origin. Documents of different job files, of different
segment counts or with a segment twice are refused; missing segments are reported.

  fth merge seg0.json seg1.json -o total.json --html total.html
  kubectl logs -l job-name=NAME | fth merge - -o total.json   (one document per line)"""

Document = Tuple[str, Dict[str, Any]]  # (where it came from, the summary document)


def merge_documents(documents: Sequence[Document]) -> Tuple[Dict[str, Any], List[str]]:
    """The merged summary document and warnings (missing segments, unfinished runs)."""
    parts, warnings = merge_parts(documents)
    return summary_document(parts), warnings


def merge_parts(documents: Sequence[Document], expected: Optional[Sequence[int]] = None
                ) -> Tuple[RunParts, List[str]]:
    """The documents' figures added up, and warnings about segments missing from ``expected``
    (default: all) and unfinished runs. Raises UsageError for documents that do not belong together.
    """
    if not documents:
        raise UsageError("no summary documents to merge")
    parts = [(where, RunParts.from_dict(doc.get("mergeable") if isinstance(doc, dict) else None, where))
             for where, doc in documents]
    first_where, first = parts[0]
    seen = dict.fromkeys(first.segments, first_where)
    for where, part in parts[1:]:
        if part.job_file_sha256 != first.job_file_sha256:
            raise UsageError(f"{where} comes from a different job file (or --set overrides) than {first_where}",
                             hint="merge only the segments of one run: same job file, same --set")
        if part.segment_count != first.segment_count:
            raise UsageError(f"{where} is split in {part.segment_count} segments, {first_where} in "
                             f"{first.segment_count}", hint="merge only the segments of one run")
        for index in part.segments:
            if index in seen:
                raise UsageError(f"segment {index}/{part.segment_count} is in both {seen[index]} and {where}",
                                 hint="each segment may be merged once; drop the duplicate")
            seen[index] = where
    merged = RunParts.from_dict(first.to_dict(), first_where)
    for _, part in parts[1:]:
        merged.merge(part)
    warnings = []
    absent = sorted(set(range(first.segment_count) if expected is None else expected) - set(seen))
    if absent:
        warnings.append(f"missing segment(s) {', '.join(f'{i}/{first.segment_count}' for i in absent)}: "
                        "the figures cover only the segments given")
    warnings += [f"{where}: the run had not finished (its figures so far are counted)"
                 for where, part in parts if not part.finished]
    return merged, warnings


def read_documents(paths: Sequence[str]) -> List[Document]:
    """Summary documents from files (one document, or one per line) and ``-`` (stdin, one per line)."""
    documents: List[Document] = []
    for path in paths:
        if path == "-":
            documents += _lines("stdin", sys.stdin)
            continue
        try:
            with open(path, encoding="utf-8") as source:
                text = source.read()
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"{path}: not UTF-8 text, so no fth summary document",
                             hint="fth --summary-json FILE writes one") from None
        try:
            documents.append((path, json.loads(text)))
        except RecursionError:
            raise UsageError(f"{path}: nested too deeply for an fth summary document") from None
        except ValueError:
            found = _lines(path, text.splitlines())
            if not found:
                raise UsageError(f"{path}: no fth summary document in it",
                                 hint="fth --summary-json FILE writes one") from None
            documents += found
    return documents


def _lines(name: str, lines) -> List[Document]:
    found = []
    for number, line in enumerate(lines, 1):
        document = parse_line(line)
        if document is not None:
            found.append((f"{name}:{number}", document))
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("fth merge", MERGE_HELP)
    parser.add_argument("inputs", nargs="+", metavar="FILE", help="summary JSON documents; - reads stdin, one per line")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the merged summary JSON to FILE (- : stdout)")
    parser.add_argument("--html", metavar="FILE", help="also write the merged summary as a self-contained HTML page")
    add_logging_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    setup_logging(args.verbose, args.quiet, args.log_file, args.no_color)
    documents = read_documents(args.inputs)
    if not documents:
        raise UsageError("no fth summary documents on stdin", hint="pipe fth --summary-json - output into it")
    summary, warnings = merge_documents(documents)
    for warning in warnings:
        log.warning("%s", warning)
    if not args.quiet and args.output != "-":
        style = Style(colour_wanted(sys.stdout, args.no_color))
        write_lines([f"merged {len(documents)} document(s), segments {summary['segment']}",
                     *render_summary(summary, style)])
    if args.output:
        _write(args.output, json.dumps(summary, separators=(",", ":")) if args.output == "-"
               else json.dumps(summary, indent=2))
    if args.html:
        from fth.summary_html import render_summary_html

        _write(args.html, render_summary_html(summary, warnings))
    return ExitStatus.SUCCESS


def _write(path: str, text: str) -> None:
    if path == "-":
        write_lines([text])
        return
    write_atomic(path, text + "\n", what="merged output")
    log.info("written %s", path)
