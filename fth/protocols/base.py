"""The contract between the engine and a transport.

A transport sends one file and returns a :class:`TransferResult`; it never
touches statistics. The engine times each call with a monotonic clock, so a
transport only reports its own phases (connect, auth, transfer) when it can.
Transports are not shared between concurrent transfers: the engine gives each
worker (wait mode) or each in-flight transfer (fire mode, from a pool) its own.
"""

from dataclasses import dataclass, field
from typing import Dict, Optional, Protocol

from fth.templates import TransferContext


@dataclass
class TransferRequest:
    path: str  # local file to stream
    context: TransferContext  # uuid, filename, seq, ... shared by every template

    @property
    def values(self) -> Dict[str, object]:
        return self.context.values()


@dataclass
class TransferResult:
    ok: bool
    bytes_sent: int = 0
    fault: Optional[str] = None  # a kind from fth.faults when not ok
    detail: str = ""  # one-line cause, with host:port where it applies
    remote_name: str = ""
    status: Optional[int] = None  # HTTP status code, when there was a response
    phases: Dict[str, float] = field(default_factory=dict)  # seconds: connect, auth, transfer


class Transport(Protocol):
    def send(self, request: TransferRequest) -> TransferResult:
        """Send one file; never raises for faults of the network or the server."""

    def close(self) -> None:
        """Release connections; the transport may not be used afterwards."""
