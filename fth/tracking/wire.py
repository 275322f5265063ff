"""The rows of a MySQL text-protocol result set, read straight off pymysql's connection as bytes.

pymysql decodes a row through several Python calls per column (a packet object, a cursor for each
length-coded string, a decode and a converter): at a million rows that is most of a report's time.
:func:`raw_rows` reads the same packets in one loop and hands each row over as its column values,
bytes or None (NULL), leaving decoding to the caller, who knows which columns matter
(:class:`fth.tracking.base.RowBuilder`). It follows pymysql's protocol handling: sequence numbers
are checked, a row over 16 MiB spans packets, an error packet raises pymysql's own exception, a
broken connection raises ``OperationalError`` as pymysql does, and the end-of-rows packet finishes
pymysql's result so the connection is ready for the next query.

It relies on four attributes of pymysql's connection and result that have been stable since
pymysql 0.7 (``_rfile``, ``_next_seq_id``, ``unbuffered_active``, ``_check_packet_is_eof``);
:func:`usable` says whether they are there, and callers fall back to pymysql's cursor when not.
"""

from __future__ import annotations

from typing import Any, Iterator, List, Optional, Tuple

MAX_PACKET_LEN = 0xFFFFFF
NULL, TWO_BYTES, THREE_BYTES, EIGHT_BYTES = 0xFB, 0xFC, 0xFD, 0xFE
_EXTRA = {TWO_BYTES: 2, THREE_BYTES: 3, EIGHT_BYTES: 8}


def usable(conn: Any, cursor: Any) -> bool:
    """Whether ``cursor``'s unbuffered result can be read by :func:`raw_rows` (pymysql's internals as
    expected, and end-of-rows marked by an EOF packet: the client did not ask for DEPRECATE_EOF)."""
    from pymysql.constants import CLIENT

    result = getattr(cursor, "_result", None)
    return (hasattr(conn, "_rfile") and isinstance(getattr(conn, "_next_seq_id", None), int)
            and getattr(result, "unbuffered_active", False) is True and hasattr(result, "_check_packet_is_eof")
            and not getattr(conn, "client_flag", 0) & getattr(CLIENT, "DEPRECATE_EOF", 1 << 24))


def _lost(conn: Any, result: Any, why: str) -> Exception:
    """pymysql's error for a broken connection, which is closed (and the result no longer read from)."""
    from pymysql import err
    from pymysql.constants import CR

    result.unbuffered_active = False  # else closing the cursor would try to read the rest
    conn._force_close() if hasattr(conn, "_force_close") else conn.close()
    return err.OperationalError(CR.CR_SERVER_LOST, f"Lost connection to MySQL server during query ({why})")


def raw_rows(conn: Any, cursor: Any, columns: int) -> Iterator[Tuple[Optional[bytes], ...]]:
    """The rows of ``cursor``'s unbuffered result (just executed with an ``SSCursor``), each a tuple of
    ``columns`` values: bytes as sent, None for NULL. Requires :func:`usable`."""
    from pymysql.protocol import MysqlPacket

    result = cursor._result
    read = conn._rfile.read
    while True:
        parts = []
        while True:  # one packet, or several for a row of 16 MiB or more
            try:
                header = read(4)
            except OSError as exc:
                raise _lost(conn, result, str(exc)) from None
            if len(header) < 4:
                raise _lost(conn, result, "the server closed the connection")
            length = header[0] | header[1] << 8 | header[2] << 16
            seq = conn._next_seq_id
            if header[3] != seq:
                raise _lost(conn, result, f"packet sequence number {header[3]}, expected {seq}")
            conn._next_seq_id = (seq + 1) & 0xFF  # kept current: a caller that stops early leaves the rest
            # of the result to pymysql's cursor, which reads on with this number
            try:
                part = read(length)
            except OSError as exc:
                raise _lost(conn, result, str(exc)) from None
            if len(part) < length:
                raise _lost(conn, result, "the server closed the connection")
            parts.append(part)
            if length < MAX_PACKET_LEN:
                break
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        first = data[0] if data else 0
        if (first == 0xFE and len(data) < 9) or first == 0xFF:  # end of rows, or an error
            packet = MysqlPacket(data, conn.encoding)
            result.unbuffered_active = False
            if first == 0xFF:
                packet.raise_for_error()
            result._check_packet_is_eof(packet)
            result.connection = None
            result.rows = None
            return
        if columns == 6:  # a tracking row: its six columns unrolled, when each is under 251 bytes (a one-byte length)
            try:
                a = data[0]
                b_at = a + 1
                b = data[b_at]
                c_at = b_at + 1 + b
                c = data[c_at]
                d_at = c_at + 1 + c
                d = data[d_at]
                e_at = d_at + 1 + d
                e = data[e_at]
                f_at = e_at + 1 + e
                f = data[f_at]
            except IndexError:  # a NULL or a longer column moved the positions: the general path below
                a = NULL
            if a < NULL and b < NULL and c < NULL and d < NULL and e < NULL and f < NULL and f_at + 1 + f == len(data):
                yield (data[1:b_at], data[b_at + 1:c_at], data[c_at + 1:d_at], data[d_at + 1:e_at],
                       data[e_at + 1:f_at], data[f_at + 1:])
                continue
        yield _columns(conn, result, data, columns)


def _columns(conn: Any, result: Any, data: bytes, columns: int) -> Tuple[Optional[bytes], ...]:
    """One row's ``columns`` values, each with its length-encoded size (NULL, one, two, three or eight bytes)."""
    row: List[Optional[bytes]] = []
    pos = 0
    try:
        for _ in range(columns):
            size = data[pos]
            pos += 1
            if size < NULL:
                row.append(data[pos:pos + size])
                pos += size
            elif size == NULL:
                row.append(None)
            else:
                extra = _EXTRA[size]
                size = int.from_bytes(data[pos:pos + extra], "little")
                pos += extra
                row.append(data[pos:pos + size])
                pos += size
    except (IndexError, KeyError):
        raise _lost(conn, result, f"a row of {len(data)} bytes does not hold {columns} columns") from None
    if pos != len(data):
        raise _lost(conn, result, f"a row of {len(data)} bytes holds more than {columns} columns")
    return tuple(row)
