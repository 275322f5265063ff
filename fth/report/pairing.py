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
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

from fth.report.compute import (
    EGRESS_ONLY,
    INGRESS_ONLY,
    PAIR,
    VERDICT_CACHE,
    Chained,
    Record,
    Verdict,
    outcome_of,
    verdict_of,
)
from fth.tracking import TrackingRow, TrackingStore
from fth.tracking.aside import window_rows
from fth.tracking.base import in_start_order, moment_epoch

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
    partner_before_window: int = 0  # egress rows in the window whose ingress row lies outside it (before or after)

    @property
    def records(self) -> Chained:
        """Pairs, then ingress-only, then egress-only records (one sequence, not a copy of millions)."""
        return Chained(self.pairs, self.ingress_only, self.egress_only)

    def issue_counts(self) -> Dict[str, int]:
        counts: Dict[str, int] = {}
        for issue in self.issues:
            counts[issue.kind] = counts.get(issue.kind, 0) + 1
        return counts


def _of_user(rows: Iterable[TrackingRow], username: Optional[str]) -> Iterable[TrackingRow]:
    return rows if username is None else (row for row in rows if row.username == username)


def _screen(row: TrackingRow, role: str, issues: List[QualityIssue]) -> bool:
    """Note a ``bad_time`` issue for an unreadable time and a ``null_uuid`` one for a row without a UUID;
    whether the row can pair."""
    if row.bad:
        issues.append(QualityIssue(BAD_TIME, row.uuid, f"{role}: {row.bad}", ((role, row),)))
    if not row.uuid.strip():
        issues.append(QualityIssue(NULL_UUID, "", f"{role} row without a UUID never pairs", ((role, row),)))
        return False
    return True


def _duplicate(role: str, first: Optional[TrackingRow], row: TrackingRow) -> QualityIssue:
    rows = ((role, row),) if first is None else ((role, first), (role, row))
    return QualityIssue(DUPLICATE_UUID, row.uuid, f"{role} has more than one row with this UUID; "
                        "the earliest-started one is used", rows)


def index_rows(rows: Iterable[TrackingRow], role: str, issues: List[QualityIssue],
               into: Optional[Dict[str, TrackingRow]] = None) -> Dict[str, TrackingRow]:
    """UUID → first row (rows come ordered by startTime); later rows with the same UUID are
    ``duplicate_uuid`` issues, rows without a UUID ``null_uuid`` issues, unreadable times ``bad_time``."""
    found: Dict[str, TrackingRow] = {} if into is None else into
    for row in rows:
        uuid = row.uuid
        if (row.bad or not uuid.strip()) and not _screen(row, role, issues):  # as in _pair_as_read
            continue
        first = found.get(uuid)
        if first is not None:
            issues.append(_duplicate(role, first, row))
            continue
        found[uuid] = row
    return found


def partners(store: TrackingStore, uuids: Sequence[str], role: str,
             issues: List[QualityIssue]) -> Dict[str, TrackingRow]:
    """The rows of ``store`` with these UUIDs, one per UUID by the rules of :func:`index_rows`."""
    if not uuids:
        return {}
    found = store.rows_by_uuid(uuids)
    return index_rows((row for uuid in uuids for row in found.get(uuid, ())), role, issues)


def make_pair(ingress: TrackingRow, egress: TrackingRow, issues: List[QualityIssue]) -> Record:
    start, end, status = ingress.start_ts, egress.end_ts, egress.status
    key = (ingress.status, status)
    verdict = _PAIR_VERDICTS.get(key)
    if verdict is None:
        verdict = verdict_of(PAIR, outcome_of(status, status == PASS_STATUS), ingress.status, status)
        if len(_PAIR_VERDICTS) < VERDICT_CACHE:
            _PAIR_VERDICTS[key] = verdict
    record = _new_record(Record)  # its verdict made above, not by __init__: a million pairs, a few verdicts
    username, filename = ingress.username, ingress.filename
    record.username = egress.username if username is None else username
    record.filename = egress.filename if filename is None else filename
    record.start, record.end, record.uuid, record.verdict, record.size, record.job = (
        start, end, ingress.uuid, verdict, None, None)
    if end is None:
        if not egress.bad:
            issues.append(QualityIssue(NULL_END, ingress.uuid, "egress endTime is NULL", _both(ingress, egress)))
    elif start is not None and end < start:
        issues.append(QualityIssue(NEGATIVE_TRANSIT, ingress.uuid,
                                   f"egress ended {start - end:.3f}s before ingress started; "
                                   "left out of the transit statistics", _both(ingress, egress)))
    if start is not None and egress.start_ts is not None and egress.start_ts < start:
        issues.append(QualityIssue(CLOCK_SKEW, ingress.uuid,
                                   f"egress started {start - egress.start_ts:.3f}s "
                                   "before ingress; are the servers' clocks in sync?", _both(ingress, egress)))
    if username != egress.username:
        issues.append(QualityIssue(USERNAME_MISMATCH, ingress.uuid,
                                   f"ingress username {username!r}, egress username {egress.username!r}; "
                                   "the ingress username decides the job", _both(ingress, egress)))
    return record


_PAIR_VERDICTS: Dict[Tuple[Optional[str], Optional[str]], Verdict] = {}  # (ingress status, egress status) → verdict
_new_record = Record.__new__


def _both(ingress: TrackingRow, egress: TrackingRow) -> Tuple[Tuple[str, TrackingRow], ...]:
    return (("ingress", ingress), ("egress", egress))


def unpaired(row: TrackingRow, kind: str) -> Record:
    status = row.status
    return Record(row.username, row.filename, row.start_ts, row.end_ts, status,
                  False, uuid=row.uuid, kind=kind,
                  ingress_status=status if kind == INGRESS_ONLY else None)


def _paired(ingress: TrackingRow, egress: TrackingRow, issues: List[QualityIssue]) -> Record:
    """:func:`make_pair`, and the ingress row's own ``null_end`` check."""
    record = make_pair(ingress, egress, issues)
    if ingress.end_ts is None and not ingress.bad:
        issues.append(QualityIssue(NULL_END, ingress.uuid, "ingress endTime is NULL", (("ingress", ingress),)))
    return record


def pair_rows(ingress: Dict[str, Union[TrackingRow, Record]], egress: Dict[str, TrackingRow],
              egress_in_window: Iterable[str], issues: Optional[List[QualityIssue]] = None,
              ingress_elsewhere: Iterable[str] = ()) -> Pairing:
    """Pair ``ingress`` (the window's rows) with ``egress`` (partners + the window's egress rows).

    A value of ``ingress`` may already be its pair's :class:`Record` (see :func:`collect`), which is
    taken as it is. ``egress_in_window`` are the UUIDs of egress rows whose startTime is in the window;
    ``ingress_elsewhere`` the UUIDs among them whose ingress row lies outside the window.
    Both dicts are consumed: each row is released once its record is made (its UUID stays a key
    of ``ingress``), so a million rows are never held next to their million records.
    """
    result = Pairing(issues=issues if issues is not None else [])
    for uuid, in_row in ingress.items():
        if isinstance(in_row, Record):
            result.pairs.append(in_row)
        else:
            out_row = egress.pop(uuid, None)
            if out_row is None:
                result.ingress_only.append(unpaired(in_row, INGRESS_ONLY))
                if in_row.end_ts is None and not in_row.bad:
                    result.issues.append(QualityIssue(NULL_END, uuid, "ingress endTime is NULL",
                                                      (("ingress", in_row),)))
            else:
                result.pairs.append(_paired(in_row, out_row, result.issues))
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


def _pair_as_read(rows: Iterable[TrackingRow], ingress: Dict[str, Union[TrackingRow, Record]],
                  issues: List[QualityIssue]) -> Tuple[Dict[str, TrackingRow], Dict[str, List[QualityIssue]]]:
    """Pair the window's egress rows while they stream in (ordered by startTime, so the first row of a
    UUID is its earliest): the pair's :class:`Record` replaces the ingress row in ``ingress`` and both
    rows are released, so the window is never held twice. Returns the egress rows without an ingress
    partner in the window (first per UUID) and, by UUID, the ``duplicate_uuid`` issues of paired UUIDs,
    whose first row is looked up again by :func:`_fill_duplicates` (rare: not worth keeping every row)."""
    orphans: Dict[str, TrackingRow] = {}
    waiting: Dict[str, List[QualityIssue]] = {}
    for row in rows:
        uuid = row.uuid
        if (row.bad or not uuid.strip()) and not _screen(row, "egress", issues):  # a million rows: _screen only
            continue  # for the few it has something to say of
        partner = ingress.get(uuid)
        if partner is None:
            first = orphans.get(uuid)
            if first is None:
                orphans[uuid] = row
            else:
                issues.append(_duplicate("egress", first, row))
        elif isinstance(partner, Record):
            issue = _duplicate("egress", None, row)
            issues.append(issue)
            waiting.setdefault(uuid, []).append(issue)
        else:
            ingress[uuid] = _paired(partner, row, issues)
    return orphans, waiting


def _fill_duplicates(store: TrackingStore, waiting: Dict[str, List[QualityIssue]],
                     ingress: Dict[str, Union[TrackingRow, Record]], window: Tuple[float, float],
                     username: Optional[str]) -> None:
    """Put the egress row each pair used first in its ``duplicate_uuid`` issues: of the UUID's rows
    in the window, the earliest one that the pair's end and status came from."""
    if not waiting:
        return
    found = store.rows_by_uuid(list(waiting))
    for uuid, waiting_issues in waiting.items():
        record = ingress[uuid]
        candidates = [row for row in found.get(uuid, ()) if row.uuid.strip() and row.start_ts is not None
                      and window[0] <= row.start_ts < window[1] and (username is None or row.username == username)]
        used = next((row for row in candidates if isinstance(record, Record)
                     and (row.end_ts, row.status) == (record.end, record.status)), None)
        first = used or (candidates[0] if candidates else None)
        if first is not None:
            for issue in waiting_issues:
                issue.rows = (("egress", first), *issue.rows)


def collect(ingress_store: TrackingStore, egress_store: TrackingStore, start, end,
            username: Optional[str] = None, read_aside: bool = False) -> Pairing:
    """Read and pair the rows of the window ``[start, end)`` (see the module docstring).

    ``username``: only that user's ingress rows and egress-only rows. ``read_aside``: a large egress
    window may be read in a forked child meanwhile (:func:`fth.tracking.aside.window_rows`).
    """
    issues: List[QualityIssue] = []
    ingress: Dict[str, Union[TrackingRow, Record]] = {}  # a row until its pair's record replaces it
    with window_rows(egress_store, start, end, read_aside) as egress_window:
        ingress_rows = list(_of_user(ingress_store.rows_in_window(start, end, ordered=False), username))
        in_start_order(ingress_rows)  # read as stored: the server sends them at once, the sort here is quicker
        index_rows(ingress_rows, "ingress", issues, into=ingress)  # type: ignore[arg-type]
        del ingress_rows  # the index holds them now, until each is paired
        orphans, waiting = _pair_as_read(_of_user(egress_window(), username), ingress, issues)
    _fill_duplicates(egress_store, waiting, ingress, (moment_epoch(start), moment_epoch(end)), username)
    missing = [uuid for uuid, value in ingress.items() if not isinstance(value, Record)]
    in_window = list(orphans)
    egress = orphans  # the window's egress rows without an ingress partner in it, then the partners looked up
    if missing:
        log.debug("looking up %d egress partners by UUID", len(missing))
        egress.update(partners(egress_store, missing, "egress", issues))
    elsewhere: Tuple[str, ...] = ()
    if in_window:
        log.debug("looking up %d ingress partners outside the window", len(in_window))
        found = ingress_store.rows_by_uuid(in_window)
        elsewhere = tuple(uuid for uuid, rows in found.items() if any(row.start_ts is not None for row in rows))
        _pair_timeless(found, elsewhere, ingress, username, issues)
    result = pair_rows(ingress, egress, in_window, issues, elsewhere)
    result.issues.sort(key=lambda issue: (issue.kind, issue.uuid))
    log.debug("%d pairs, %d ingress-only, %d egress-only, %d data-quality issues",
             len(result.pairs), len(result.ingress_only), len(result.egress_only), len(result.issues))
    return result


def _pair_timeless(found: Dict[str, List[TrackingRow]], elsewhere: Sequence[str],
                   ingress: Dict[str, Union[TrackingRow, Record]], username: Optional[str],
                   issues: List[QualityIssue]) -> None:
    """Ingress partners (of the window's egress rows) whose startTime is NULL or no time lie in no window: each
    joins this one, its egress row's, so the transfer is counted once (it was in none), with a ``bad_time``
    issue (index_rows notes an unreadable time; a NULL one is noted here)."""
    dated = set(elsewhere)
    timeless = [row for uuid, rows in found.items() if uuid not in dated for row in rows
                if username is None or row.username == username]
    for row in timeless:
        if not row.bad:
            issues.append(QualityIssue(BAD_TIME, row.uuid, "ingress: startTime is NULL; counted in the window of "
                                       "its egress row", (("ingress", row),)))
    index_rows(timeless, "ingress", issues, into=ingress)  # type: ignore[arg-type]
