"""The figures a ``--processes`` worker streams to its parent: one JSON line per second on stdout.

Each line is ``{"live": live_figures, "mergeable": RunParts}`` of the run so far; the worker's
last line is its summary document (``--summary-json -``), which carries ``"mergeable"`` too.
The parent keeps the latest figures of every worker, so a worker that dies is still counted up
to its last line (a second old, or a little more late in long runs with many jobs).
"""

import json
import logging
import sys
import time
from typing import Any, Dict, Optional, TextIO

import gevent

from fth.engine.runner import Runner
from fth.live import live_figures
from fth.parts import RunParts

log = logging.getLogger(__name__)

STREAM_EVERY = 1.0  # seconds between lines, at the least
MAX_SHARE = 0.02  # of the worker's CPU spent on streaming, at most


def stream_figures(runner: Runner, job_file_hash: Optional[str], out: Optional[TextIO] = None) -> None:
    """Write the run's figures as one JSON line every STREAM_EVERY seconds (a worker's greenlet).

    A line holds every histogram of the timeline, so it grows with jobs and run length (about
    0.3 MB and 15 ms per job late in a long run): the pause after a line is at least
    MAX_SHARE⁻¹ times what writing it took, which keeps streaming under MAX_SHARE of the CPU.
    """
    out = out or sys.stdout
    pause = STREAM_EVERY
    while True:
        gevent.sleep(pause)
        started = time.perf_counter()
        line = {"live": live_figures(runner), "mergeable": RunParts.from_runner(runner, job_file_hash).to_dict()}
        out.write(json.dumps(line, separators=(",", ":")) + "\n")
        out.flush()
        pause = max(STREAM_EVERY, (time.perf_counter() - started) / MAX_SHARE)


def parse_line(line: str) -> Optional[Dict[str, Any]]:
    """A streamed line or summary document as a dict; None for any other output line."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply for a figures line
        log.debug("not a figures line: %.80s", text)
        return None
    return document if isinstance(document, dict) and "mergeable" in document else None
