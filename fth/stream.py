"""The figures a ``--processes`` worker streams to its parent: one JSON line per second on stdout.

Each line is ``{"live": live_figures, "mergeable": RunParts}`` of the run so far; the worker's
last line is its summary document (``--summary-json -``), which carries ``"mergeable"`` too.
The parent keeps the latest figures of every worker, so a worker that dies is still counted up
to its last line.
"""

import json
import logging
import sys
from typing import Any, Dict, Optional, TextIO

import gevent

from fth.engine.runner import Runner
from fth.live import live_figures
from fth.parts import RunParts

log = logging.getLogger(__name__)

STREAM_EVERY = 1.0  # seconds between lines


def stream_figures(runner: Runner, job_file_hash: Optional[str], out: Optional[TextIO] = None) -> None:
    """Write the run's figures as one JSON line every STREAM_EVERY seconds (a worker's greenlet)."""
    out = out or sys.stdout
    while True:
        gevent.sleep(STREAM_EVERY)
        line = {"live": live_figures(runner), "mergeable": RunParts.from_runner(runner, job_file_hash).to_dict()}
        out.write(json.dumps(line, separators=(",", ":")) + "\n")
        out.flush()


def parse_line(line: str) -> Optional[Dict[str, Any]]:
    """A streamed line or summary document as a dict; None for any other output line."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        document = json.loads(text)
    except ValueError:
        log.debug("not a figures line: %.80s", text)
        return None
    return document if isinstance(document, dict) and "mergeable" in document else None
