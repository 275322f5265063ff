"""fth.faults on its own: each socket-level error gets its one kind and a hint a user can act on."""

import errno
import socket
import ssl

import pytest

from fth import faults
from fth.faults import HINTS, classify_os_error, hint_for

KINDS = [value for name, value in vars(faults).items() if name.isupper() and isinstance(value, str)]


@pytest.mark.parametrize("exc, connecting, expected", [
    (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), True,
     ("dns", "name resolution failed (Name or service not known)")),
    (socket.gaierror("bare"), True, ("dns", "name resolution failed (bare)")),
    (ssl.SSLCertVerificationError(1, "certificate verify failed"), True, ("tls", "certificate verify failed")),
    (socket.timeout("timed out"), True, ("connect_timeout", "timed out connecting")),
    (socket.timeout("timed out"), False, ("read_timeout", "timed out waiting")),
    (TimeoutError(), False, ("read_timeout", "timed out waiting")),
    (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), True, ("refused", "connection refused")),
    (ConnectionResetError(errno.ECONNRESET, "reset"), False, ("reset", "connection reset by peer")),
    (ConnectionAbortedError(), False, ("reset", "connection reset by peer")),
    (BrokenPipeError(), False, ("reset", "connection reset by peer")),
    (OSError(errno.EHOSTUNREACH, "No route to host"), True, ("unreachable", "No route to host")),
    (OSError(errno.ENETUNREACH, "Network is unreachable"), True, ("unreachable", "Network is unreachable")),
    (OSError(errno.ENETUNREACH, None), True, ("unreachable", "no route to host")),
    (OSError(errno.EACCES, "Permission denied"), True, None),
    (ValueError("not a socket error"), True, None),
])
def test_classify_os_error(exc, connecting, expected):
    assert classify_os_error(exc, connecting=connecting) == expected


def test_connecting_is_the_default():
    assert classify_os_error(socket.timeout()) == ("connect_timeout", "timed out connecting")


def test_an_ssl_error_with_a_reason_reports_the_reason():
    error = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    error.reason = "WRONG_VERSION_NUMBER"
    assert classify_os_error(error) == ("tls", "WRONG_VERSION_NUMBER")


def test_every_kind_has_its_own_hint():
    assert set(HINTS) == set(KINDS)
    for kind in KINDS:
        assert hint_for(kind) == HINTS[kind]
    assert len(set(HINTS.values())) == len(HINTS)


@pytest.mark.parametrize("kind", ["http_503", "http_404", "http_status"])
def test_http_status_kinds_share_one_hint(kind):
    assert hint_for(kind) == "the server answered with a status outside expect_status"


def test_an_unknown_kind_gets_the_unexpected_hint():
    assert hint_for("martian") == HINTS["unexpected"] == "an unexpected error: run with -vv and report it"
    assert hint_for("not_sent") == "fire mode reached max_in_flight: raise it or lower the rate"
