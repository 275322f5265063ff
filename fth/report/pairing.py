"""Pair ingress and egress tracking rows by UUID and check the data's quality.

:func:`collect` reads both stores for a window; :func:`pair_rows` is the pure part, given the
rows already fetched. Rules (SPEC "fth-report"):

- ingress rows whose startTime is in the window are the population;
- their egress partners are fetched by UUID even when they fall after the window;
- egress rows in the window with no ingress partner anywhere are ``egress_only`` (an ingress
  partner that started before the window makes the row belong to an earlier window instead);
- transit = egress endTime − ingress startTime; the egress status decides pass/fail;
- quality issues: negative transit, NULL endTime, duplicated UUIDs, clock skew (egress started
  before ingress).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

from fth.report.compute import EGRESS_ONLY, INGRESS_ONLY, PAIR, Record
from fth.tracking import TrackingRow, TrackingStore

log = logging.getLogger(__name__)

PASS_STATUS = "SUCCESS"  # noqa: S105  (a status, not a password)
NEGATIVE_TRANSIT, NULL_END, DUPLICATE_UUID, CLOCK_SKEW = "negative_transit", "null_end", "duplicate_uuid", "clock_skew"


@dataclass
class QualityIssue:
    kind: str  # one of the constants above
    uuid: str
    detail: str


@dataclass
class Pairing:
    """Result of pairing: records of every kind plus the issues found."""

    pairs: List[Record] = field(default_factory=list)
    ingress_only: List[Record] = field(default_factory=list)
    egress_only: List[Record] = field(default_factory=list)
    issues: List[QualityIssue] = field(default_factory=list)
    partner_before_window: int = 0  # egress rows in the window whose ingress row started earlier

    @property
    def records(self) -> List[Record]:
        return self.pairs + self.ingress_only + self.egress_only

    def issue_counts(self) -> Dict[str, int]:
        counts: Dict[str, int] = {}
        for issue in self.issues:
            counts[issue.kind] = counts.get(issue.kind, 0) + 1
        return counts


def _ts(value) -> Optional[float]:
    return value.timestamp() if value is not None else None


def _index(rows: Iterable[TrackingRow], role: str, issues: List[QualityIssue],
           into: Optional[Dict[str, TrackingRow]] = None) -> Dict[str, TrackingRow]:
    """UUID → first row; later rows with the same UUID are reported as duplicates."""
    found: Dict[str, TrackingRow] = {} if into is None else into
    for row in rows:
        if row.uuid in found:
            issues.append(QualityIssue(DUPLICATE_UUID, row.uuid, f"{role} has more than one row with this UUID"))
            continue
        found[row.uuid] = row
    return found


def make_pair(ingress: TrackingRow, egress: TrackingRow, issues: List[QualityIssue]) -> Record:
    start, end = _ts(ingress.start), _ts(egress.end)
    record = Record(ingress.username if ingress.username is not None else egress.username,
                    ingress.filename if ingress.filename is not None else egress.filename,
                    start, end, egress.status, egress.status == PASS_STATUS, uuid=ingress.uuid,
                    ingress_status=ingress.status, kind=PAIR)
    if egress.end is None:
        issues.append(QualityIssue(NULL_END, ingress.uuid, "egress endTime is NULL"))
    elif start is not None and end is not None and end < start:
        issues.append(QualityIssue(NEGATIVE_TRANSIT, ingress.uuid,
                                   f"egress ended {start - end:.3f}s before ingress started"))
    if ingress.start is not None and egress.start is not None and egress.start < ingress.start:
        issues.append(QualityIssue(CLOCK_SKEW, ingress.uuid,
                                   f"egress started {_ts(ingress.start) - _ts(egress.start):.3f}s "
                                   "before ingress; are the servers' clocks in sync?"))
    return record


def unpaired(row: TrackingRow, kind: str) -> Record:
    status = row.status
    return Record(row.username, row.filename, _ts(row.start), _ts(row.end), status,
                  False, uuid=row.uuid, kind=kind,
                  ingress_status=status if kind == INGRESS_ONLY else None)


def pair_rows(ingress: Dict[str, TrackingRow], egress: Dict[str, TrackingRow], egress_in_window: Iterable[str],
              issues: Optional[List[QualityIssue]] = None, ingress_elsewhere: Iterable[str] = ()) -> Pairing:
    """Pair ``ingress`` (the window's rows) with ``egress`` (partners + the window's egress rows).

    ``egress_in_window`` are the UUIDs of egress rows whose startTime is in the window;
    ``ingress_elsewhere`` the UUIDs among them whose ingress row lies outside the window.
    """
    result = Pairing(issues=issues if issues is not None else [])
    for uuid, in_row in ingress.items():
        out_row = egress.get(uuid)
        if out_row is None:
            result.ingress_only.append(unpaired(in_row, INGRESS_ONLY))
        else:
            result.pairs.append(make_pair(in_row, out_row, result.issues))
        if in_row.end is None:
            result.issues.append(QualityIssue(NULL_END, uuid, "ingress endTime is NULL"))
    elsewhere = set(ingress_elsewhere)
    for uuid in egress_in_window:
        if uuid in ingress:
            continue
        if uuid in elsewhere:
            result.partner_before_window += 1
            continue
        result.egress_only.append(unpaired(egress[uuid], EGRESS_ONLY))
    return result


def collect(ingress_store: TrackingStore, egress_store: TrackingStore, start, end) -> Pairing:
    """Read and pair the rows of the window ``[start, end)`` (see the module docstring)."""
    issues: List[QualityIssue] = []
    ingress = _index(ingress_store.rows_in_window(start, end), "ingress", issues)
    egress = _index(egress_store.rows_in_window(start, end), "egress", issues)
    in_window = list(egress)
    missing = [uuid for uuid in ingress if uuid not in egress]
    if missing:
        log.debug("looking up %d egress partners by UUID", len(missing))
        late: Dict[str, List[TrackingRow]] = egress_store.rows_by_uuid(missing)
        _index((rows for group in late.values() for rows in group), "egress", issues, egress)
    orphans = [uuid for uuid in in_window if uuid not in ingress]
    elsewhere: Tuple[str, ...] = ()
    if orphans:
        log.debug("looking up %d ingress partners outside the window", len(orphans))
        elsewhere = tuple(ingress_store.rows_by_uuid(orphans))
    result = pair_rows(ingress, egress, in_window, issues, elsewhere)
    log.info("%d pairs, %d ingress-only, %d egress-only, %d data-quality issues",
             len(result.pairs), len(result.ingress_only), len(result.egress_only), len(result.issues))
    return result
