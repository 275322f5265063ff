"""Files to send, read from a job's source directory."""

import fnmatch
import itertools
import logging
import os
import random
import threading
import time
from typing import Iterable, Iterator, List, Optional

from fth.config.model import Segment, SourceConfig
from fth.errors import UsageError

log = logging.getLogger(__name__)


def list_files(config: SourceConfig, skipped: Optional[List[str]] = None) -> List[str]:
    """Regular files matching the pattern, sorted (by relative path) for a stable order.

    FIFOs, devices and sockets are never opened (reading a FIFO blocks the whole process):
    their paths go to ``skipped``. Symbolic links count as what they point to; a recursive
    walk does not follow links to directories (as os.walk).
    """
    found: List[str] = []
    directories = [config.path]  # a stack: depth first, in sorted order, as os.walk
    while directories:
        directory = directories.pop()
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            if directory == config.path:
                raise
            log.debug("cannot list %s; skipped", directory, exc_info=True)
            continue
        below: List[str] = []
        for entry in entries:
            try:
                if config.recursive and entry.is_dir(follow_symlinks=False):
                    below.append(entry.path)
                elif not fnmatch.fnmatch(entry.name, config.pattern):
                    continue
                elif entry.is_file():
                    found.append(entry.path)
                elif skipped is not None and not entry.is_dir():
                    skipped.append(entry.path)
            except OSError:  # vanished while listed
                continue
        directories.extend(reversed(below))
    return found


class FileSource:
    """Yields paths in sequential or random order, looping when asked.

    The directory is listed again at the start of a pass, so files added or removed
    during a long run are noticed. The listing is shared by every iterator (a job's
    senders) and renewed at most every ``RELIST_INTERVAL``, so short passes (a few files
    sent fast, many senders) do not scan the directory for every file.

    A segment I/N of a split run yields positions k ≡ I (mod N) of that sequence (the rule is in
    :mod:`fth.segment`).
    """

    RELIST_INTERVAL = 1.0

    def __init__(self, config: SourceConfig, job_name: str, segment: Optional[Segment] = None):
        self.config = config
        self.job_name = job_name
        self.segment = segment or Segment()
        self._warned = False
        self._files = self._list()
        if not self._files:
            raise UsageError(
                f"job {job_name}: no files matching {config.pattern!r} in {config.path}",
                hint="put files in the source directory or change source.pattern / recursive",
            )
        self._listed_at = time.monotonic()
        self.passes = 0

    def _list(self) -> List[str]:
        skipped: List[str] = []
        files = list_files(self.config, skipped)
        if skipped and not self._warned:
            self._warned = True
            log.warning("job %s: %d entries of %s are not regular files (FIFOs, devices, sockets, broken links) "
                        "and are skipped, e.g. %s", self.job_name, len(skipped), self.config.path, skipped[0])
        return files

    def __iter__(self) -> Iterator[str]:
        return itertools.islice(self._passes(), self.segment.index, None, self.segment.count)

    def _passes(self) -> Iterator[str]:
        files: Optional[List[str]] = self._files
        while True:
            if files is None:
                if time.monotonic() - self._listed_at >= self.RELIST_INTERVAL:
                    self._files = self._list()
                    self._listed_at = time.monotonic()
                files = self._files
                if not files:
                    log.warning("job %s: source %s has no files left; stopping this job", self.job_name,
                                self.config.path)
                    return
            if self.config.order == "random":
                files = list(files)
                random.shuffle(files)
            yield from files
            self.passes += 1
            if not self.config.loop:
                return
            files = None


class SharedFiles:
    """One job's file sequence taken by several senders (a wait-mode job's workers): each file goes to one of
    them, and a source read once (``loop: false``) is sent once, whatever the number of workers."""

    def __init__(self, files: Iterable[str]) -> None:
        self._files = iter(files)
        self._lock = threading.Lock()  # a greenlet's lock once fth has monkey-patched: listing may yield

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        with self._lock:
            return next(self._files)
