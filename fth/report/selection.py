"""Values at some ranks of a sequence's ascending order, without a sorted copy of millions of them.

:func:`ranked` gives what :func:`fth.report.compute.percentile` reads: the sorted values when there are
few, else a :class:`Ranked` holding just the wanted ranks, found by selection.
"""

from __future__ import annotations

import math
from typing import Dict, Iterable, Sequence

SORT_LIMIT = 250_000  # more values than this are ranked by selection (a sorted copy is 40 bytes a value)
SAMPLE_SIZE = 4096


class Ranked:
    """The values at some ranks of an ascending order, read by ``percentile`` as the sorted sequence."""

    def __init__(self, count: int, at: Dict[int, float]) -> None:
        self.count, self.at = count, at

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, rank: int) -> float:
        return self.at[rank]


def ranked(values: Sequence[float], ranks: Iterable[int]) -> Sequence[float]:
    """What the ascending order of ``values`` holds at ``ranks``: the sorted values (few of them), or just
    those ranks, found without sorting everything (millions of values: a sorted copy would be 40 bytes each).

    Selection: a sorted sample (every n/4096th value) brackets each rank; one pass counts the values below
    the bracket, one more keeps those in it, and only those are sorted. Equal values keep their order, so
    each rank holds the value a full sort puts there. A bracket that misses its rank (a sample unlike the
    whole) is widened fourfold; one that misses again gives way to sorting everything.
    """
    count = len(values)
    if count <= SORT_LIMIT:
        return sorted(values)
    sample = sorted(values[::max(1, count // SAMPLE_SIZE)])
    margin = 3 * math.isqrt(len(sample)) + 8  # well over the spread of a sample's ranks
    wanted = sorted(set(ranks))
    found: Dict[int, float] = {}
    for rank in wanted:
        if rank in found:
            continue
        middle = rank * (len(sample) - 1) // max(count - 1, 1)
        for width in (margin, 4 * margin):
            low = sample[middle - width] if middle - width > 0 else -math.inf
            high = sample[middle + width] if middle + width < len(sample) - 1 else math.inf
            below = sum(map(low.__gt__, values))  # values under the bracket
            if below <= rank:
                inside = sorted(filter(high.__ge__, filter(low.__le__, values)))
                if rank < below + len(inside):
                    break
        else:  # the sample missed it twice: rank by sorting everything
            below, inside = 0, sorted(values)
        found.update((other, inside[other - below]) for other in wanted if below <= other < below + len(inside))
    return Ranked(count, found)
