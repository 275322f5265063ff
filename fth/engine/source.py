"""Files to send, read from a job's source directory."""

import fnmatch
import itertools
import logging
import os
import random
import time
from typing import Iterator, List, Optional

from fth.config.model import Segment, SourceConfig
from fth.errors import UsageError

log = logging.getLogger(__name__)


def list_files(config: SourceConfig) -> List[str]:
    """Paths matching the pattern, sorted (by relative path) for a stable order."""
    found: List[str] = []
    if config.recursive:
        for root, dirs, files in os.walk(config.path):
            dirs.sort()
            found.extend(os.path.join(root, name) for name in sorted(files)
                         if fnmatch.fnmatch(name, config.pattern))
    else:
        with os.scandir(config.path) as entries:
            found = sorted(entry.path for entry in entries
                           if entry.is_file() and fnmatch.fnmatch(entry.name, config.pattern))
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
        self._files = list_files(config)
        if not self._files:
            raise UsageError(
                f"job {job_name}: no files matching {config.pattern!r} in {config.path}",
                hint="put files in the source directory or change source.pattern / recursive",
            )
        self._listed_at = time.monotonic()
        self.passes = 0

    def __iter__(self) -> Iterator[str]:
        return itertools.islice(self._passes(), self.segment.index, None, self.segment.count)

    def _passes(self) -> Iterator[str]:
        files: Optional[List[str]] = self._files
        while True:
            if files is None:
                if time.monotonic() - self._listed_at >= self.RELIST_INTERVAL:
                    self._files = list_files(self.config)
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
