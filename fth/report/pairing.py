"""Pair ingress and egress tracking rows by UUID and check the data's quality.

:func:`collect` reads both stores for a window; :func:`pair_rows` is the pure part, given the
rows already fetched. Rules (SPEC "fth-report"):

- ingress rows whose startTime is in the window are the population;
- their egress partners are fetched by UUID even when they fall after the window;
- egress rows in the window with no ingress partner anywhere are ``egress_only`` (an ingress
  partner that started before the window makes the row belong to an earlier window instead);
- transit = egress endTime − ingress startTime; the egress status decides pass/fail;
- a NULL or empty UUID never pairs: the row is a ``null_uuid`` issue;
- of several rows with one UUID on one side, the earliest-started is used, the others are
  ``duplicate_uuid`` issues;
- quality issues also: negative transit (kept out of the transit statistics), NULL endTime,
  clock skew (egress started before ingress), ``username_mismatch`` (the pair's two rows name
  different users; the ingress username decides the job), ``bad_time`` (a stored time that is
  no time: a zero date, unparseable text, an epoch out of range).

Every issue carries the rows it is about, for the report's lists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from fth.report.compute import EGRESS_ONLY, INGRESS_ONLY, PAIR, Record
from fth.tracking import TrackingRow, TrackingStore

log = logging.getLogger(__name__)

PASS_STATUS = "SUCCESS"  # noqa: S105  (a status, not a password)
NEGATIVE_TRANSIT, NULL_END, DUPLICATE_UUID, CLOCK_SKEW = "negative_transit", "null_end", "duplicate_uuid", "clock_skew"
USERNAME_MISMATCH, NULL_UUID, BAD_TIME = "username_mismatch", "null_uuid", "bad_time"


@dataclass
class QualityIssue:
    kind: str  # one of the constants above
    uuid: str
    detail: str
    rows: Tuple[Tuple[str, TrackingRow], ...] = ()  # (role, row) of the rows concerned


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


def _of_user(rows: Iterable[TrackingRow], username: Optional[str]) -> Iterable[TrackingRow]:
    return rows if username is None else (row for row in rows if row.username == username)


def index_rows(rows: Iterable[TrackingRow], role: str, issues: List[QualityIssue],
               into: Optional[Dict[str, TrackingRow]] = None) -> Dict[str, TrackingRow]:
    """UUID → first row (rows come ordered by startTime); later rows with the same UUID are
    ``duplicate_uuid`` issues, rows without a UUID ``null_uuid`` issues, unreadable times ``bad_time``."""
    found: Dict[str, TrackingRow] = {} if into is None else into
    for row in rows:
        if row.bad:
            issues.append(QualityIssue(BAD_TIME, row.uuid, f"{role}: {row.bad}", ((role, row),)))
        if not row.uuid.strip():
            issues.append(QualityIssue(NULL_UUID, "", f"{role} row without a UUID never pairs", ((role, row),)))
            continue
        first = found.get(row.uuid)
        if first is not None:
            issues.append(QualityIssue(DUPLICATE_UUID, row.uuid, f"{role} has more than one row with this UUID; "
                                       "the earliest-started one is used", ((role, first), (role, row))))
            continue
        found[row.uuid] = row
    return found


def partners(store: TrackingStore, uuids: Sequence[str], role: str,
             issues: List[QualityIssue]) -> Dict[str, TrackingRow]:
    """The rows of ``store`` with these UUIDs, one per UUID by the rules of :func:`index_rows`."""
    if not uuids:
        return {}
    found = store.rows_by_uuid(uuids)
    return index_rows((row for uuid in uuids for row in found.get(uuid, ())), role, issues)


def make_pair(ingress: TrackingRow, egress: TrackingRow, issues: List[QualityIssue]) -> Record:
    start, end = ingress.start_ts, egress.end_ts
    record = Record(ingress.username if ingress.username is not None else egress.username,
                    ingress.filename if ingress.filename is not None else egress.filename,
                    start, end, egress.status, egress.status == PASS_STATUS, uuid=ingress.uuid,
                    ingress_status=ingress.status, kind=PAIR)
    both = (("ingress", ingress), ("egress", egress))
    if egress.end_ts is None and not egress.bad:
        issues.append(QualityIssue(NULL_END, ingress.uuid, "egress endTime is NULL", both))
    elif start is not None and end is not None and end < start:
        issues.append(QualityIssue(NEGATIVE_TRANSIT, ingress.uuid,
                                   f"egress ended {start - end:.3f}s before ingress started; "
                                   "left out of the transit statistics", both))
    if ingress.start_ts is not None and egress.start_ts is not None and egress.start_ts < ingress.start_ts:
        issues.append(QualityIssue(CLOCK_SKEW, ingress.uuid,
                                   f"egress started {ingress.start_ts - egress.start_ts:.3f}s "
                                   "before ingress; are the servers' clocks in sync?", both))
    if ingress.username != egress.username:
        issues.append(QualityIssue(USERNAME_MISMATCH, ingress.uuid,
                                   f"ingress username {ingress.username!r}, egress username {egress.username!r}; "
                                   "the ingress username decides the job", both))
    return record


def unpaired(row: TrackingRow, kind: str) -> Record:
    status = row.status
    return Record(row.username, row.filename, row.start_ts, row.end_ts, status,
                  False, uuid=row.uuid, kind=kind,
                  ingress_status=status if kind == INGRESS_ONLY else None)


def pair_rows(ingress: Dict[str, TrackingRow], egress: Dict[str, TrackingRow], egress_in_window: Iterable[str],
              issues: Optional[List[QualityIssue]] = None, ingress_elsewhere: Iterable[str] = ()) -> Pairing:
    """Pair ``ingress`` (the window's rows) with ``egress`` (partners + the window's egress rows).

    ``egress_in_window`` are the UUIDs of egress rows whose startTime is in the window;
    ``ingress_elsewhere`` the UUIDs among them whose ingress row lies outside the window.
    Both dicts are consumed: each row is released once its record is made (its UUID stays a key
    of ``ingress``), so a million rows are never held next to their million records.
    """
    result = Pairing(issues=issues if issues is not None else [])
    for uuid, in_row in ingress.items():
        out_row = egress.pop(uuid, None)
        if out_row is None:
            result.ingress_only.append(unpaired(in_row, INGRESS_ONLY))
        else:
            result.pairs.append(make_pair(in_row, out_row, result.issues))
        if in_row.end_ts is None and not in_row.bad:
            result.issues.append(QualityIssue(NULL_END, uuid, "ingress endTime is NULL", (("ingress", in_row),)))
        ingress[uuid] = None  # type: ignore[assignment]  # released; the key still says "in the window"
    elsewhere = set(ingress_elsewhere)
    for uuid in egress_in_window:
        if uuid in ingress:
            continue
        if uuid in elsewhere:
            result.partner_before_window += 1
            continue
        result.egress_only.append(unpaired(egress[uuid], EGRESS_ONLY))
    return result


def _shared(rows: Iterable[TrackingRow], ingress: Dict[str, TrackingRow]) -> Iterator[TrackingRow]:
    """Egress rows whose UUID and file name reuse their ingress partner's strings (one copy per pair in memory)."""
    for row in rows:
        partner = ingress.get(row.uuid)
        if partner is not None:
            row.uuid = partner.uuid
            if row.filename == partner.filename:
                row.filename = partner.filename
        yield row


def collect(ingress_store: TrackingStore, egress_store: TrackingStore, start, end,
            username: Optional[str] = None) -> Pairing:
    """Read and pair the rows of the window ``[start, end)`` (see the module docstring).

    ``username``: only that user's ingress rows and egress-only rows.
    """
    issues: List[QualityIssue] = []
    ingress = index_rows(_of_user(ingress_store.rows_in_window(start, end), username), "ingress", issues)
    egress = index_rows(_shared(_of_user(egress_store.rows_in_window(start, end), username), ingress),
                        "egress", issues)
    in_window = list(egress)
    missing = [uuid for uuid in ingress if uuid not in egress]
    if missing:
        log.debug("looking up %d egress partners by UUID", len(missing))
        egress.update(partners(egress_store, missing, "egress", issues))
    orphans = [uuid for uuid in in_window if uuid not in ingress]
    elsewhere: Tuple[str, ...] = ()
    if orphans:
        log.debug("looking up %d ingress partners outside the window", len(orphans))
        elsewhere = tuple(ingress_store.rows_by_uuid(orphans))
    result = pair_rows(ingress, egress, in_window, issues, elsewhere)
    result.issues.sort(key=lambda issue: (issue.kind, issue.uuid))
    log.debug("%d pairs, %d ingress-only, %d egress-only, %d data-quality issues",
             len(result.pairs), len(result.ingress_only), len(result.egress_only), len(result.issues))
    return result
