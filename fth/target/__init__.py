"""The built-in target: a loopback simulated system under test for fth, ``fth-target`` and ``fth --demo``.

It accepts uploads over HTTP(S) (:mod:`fth.target.http_server`) and SFTP
(:mod:`fth.target.sftp_server`), writes an ingress row at each arrival and, after a simulated
processing delay, an egress row with a configurable SUCCESS/FAILED/TIMEOUT mix
(:mod:`fth.target.tracker`), into an embedded SQLite file and/or MySQL
(:mod:`fth.target.sinks`). :class:`Target` is the in-process API (see :mod:`fth.target.core`);
:mod:`fth.target.cli` is the ``fth-target`` command.
"""

from fth.target.core import Target
from fth.target.settings import EGRESS_TABLE, INGRESS_TABLE, Mix, TargetSettings

__all__ = ["EGRESS_TABLE", "INGRESS_TABLE", "Mix", "Target", "TargetSettings"]
