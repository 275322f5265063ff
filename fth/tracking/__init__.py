"""Read-only access to a tracking table (the ingress or egress database of the system under test).

Used by ``fth-report`` and by ``fth-web``'s pair layout. The API is stable::

    from fth.tracking import open_store, in_start_order, TrackingRow, TrackingError

    with open_store(db_config) as store:          # db_config: fth.config.model.DbConfig
        store.ping()                               # -> round-trip seconds; raises TrackingError
        store.check()                              # table and mapped columns exist and are readable
        for row in store.rows_in_window(start, end):   # streamed, start <= startTime < end, by startTime
            ...
        rows = list(store.rows_in_window(start, end, ordered=False))   # as found: no sort in the server
        in_start_order(rows)                       # by startTime here (rows without a time last)
        partners = store.rows_by_uuid(uuids)       # -> Dict[str, List[TrackingRow]], batched IN (...)
        latest = store.recent(100, username=None, status=None)   # newest first
        names = store.usernames()                  # distinct usernames, sorted
        n = store.count_in_window(start, end)
        about = store.estimate_in_window(start, end)   # MySQL: the plan's estimate, no row read

MySQL connections: ``mysql_connect(db)`` is the one place a pymysql connection is opened from
a ``DbConfig`` (TLS options, timeouts, utf8mb4, autocommit; fth-web's dashboard database uses
it too); ``session_zone(cursor)`` is the one probe of the server's session time zone.

Drivers: ``mysql`` (pymysql; MySQL or MariaDB) and ``sqlite`` (the built-in target's embedded
store, opened with ``mode=ro``).

Read-only: every operation runs in its own ``START TRANSACTION READ ONLY`` (a fresh snapshot
each time, so polling sees new rows); the session is also set ``TRANSACTION READ ONLY``. Only
SELECT statements are sent, so an account with only the SELECT privilege is enough. Table and
column names come from ``DbConfig.table``/``DbConfig.columns`` (validated identifiers, quoted
with backticks); values are always passed as parameters.

Time: every datetime in a :class:`TrackingRow` is *timezone-aware*. The stored DATETIME values
are read as wall-clock times in ``DbConfig.timezone`` (``UTC``, ``+02:00`` or an IANA name such
as ``Europe/Berlin``); when it is None, in the MySQL server's session time zone (its UTC offset
read at connect time), or the local zone of this machine for SQLite. For MySQL the session
``time_zone`` is also set to that zone when the server knows it, so TIMESTAMP columns agree.
Window bounds may be aware or naive; naive means the local time of this machine.

Errors: any database failure raises :class:`TrackingError` (an ``fth.errors.FthError``) whose
message names the database (``DbConfig.describe()``, never the password) and the server's
error text, with a hint (wrong table? column mapping? grants? host/port?).
"""

from fth.tracking.base import TrackingError, TrackingRow, TrackingStore, in_start_order, open_store, resolve_zone
from fth.tracking.mysql import connect as mysql_connect
from fth.tracking.mysql import session_zone

__all__ = ["TrackingError", "TrackingRow", "TrackingStore", "in_start_order", "mysql_connect", "open_store",
           "resolve_zone", "session_zone"]
