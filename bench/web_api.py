"""Latency of fth-web's JSON endpoints: the dashboard layout with 1,000,000 rows, or the pair layout.

    python bench/web_api.py [--rows 1000000] [--hours 24] [--clients 20] [--seconds 10] [--reuse DIR]
    python bench/web_api.py --layout pair --pairs 1000000 --reuse /tmp/fthbench-1m --clients 50

The clients are greenlets of this one process on keep-alive connections, reading each
answer by its Content-Length (:class:`KeepAlive`): on a 2-core machine shared with fth-web
and MariaDB the bench must cost less per request than the server it measures.

Pair layout (issue 16): the tracking databases of bench/report_scale.py (``--reuse`` takes
a datadir it kept), their hour of pairs moved to end 3 minutes from now so the 60-minute
panel holds them all, then fth-web --layout pair with the default 1 s shared cache: the
first answer of each endpoint (its first computation), ``--clients`` keep-alive clients per
endpoint (p95 goal 100 ms) while fth-web keeps recomputing in its lane processes, and the
longest wait of /api/status, polled every 20 ms, while the 60-minute panel is recomputed
(goal: under 50 ms).

Dashboard layout:
Starts a throw-away MariaDB (the test fixture's ``start_mariadb``), creates the seed's
table from contrib/sql, fills it server-side (the Sequence engine, or batched INSERTs
where that is missing) with rows spread evenly over the last ``--hours`` (10 million
take about 9 minutes; ``--reuse DIR`` keeps the datadir and next time rolls it forward to
now instead: the rows of the time since are added, the older ones deleted), then runs
``fth-web --layout dashboard`` in a subprocess and hammers the endpoints the monitor
page polls with ``--clients`` concurrent keep-alive clients, each scenario for
``--seconds``. Prints p50/p95/p99/max per endpoint, twice: with the default 1 s
shared cache and with the cache off (every request queries the database).
Acceptance (issue 5): p95 under 100 ms at 1M rows; issue 16: the same at 10M rows
(``--rows 10000000``). Each line ends with that verdict (``ok`` or ``MISS``).

Measured 2026-11-23 on a 2-core VM (bench client, fth-web and MariaDB 10.11 sharing it),
1,000,000 rows over 24 h, 20 clients, default settings (1 s shared cache):
p95 7.6 ms transactions?limit=50, 5.7 ms limit=200, 6.8 ms with a status filter,
8.0 ms panels?window=10, 7.7 ms panels?window=60, 5.5 ms status.
With the cache off the server is CPU-bound (one Python process) and the 60-minute panel
query (≈41,700 rows, table lookups for status and file_size) costs p50 215 ms on its own;
the optional covering index in contrib/sql/dashboard_transactions.sql makes it 16 ms.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import fth  # noqa: E402, F401, I001  (gevent monkey-patching before sockets are used)
import http.client  # noqa: E402
import re  # noqa: E402
import socket  # noqa: E402
import gevent  # noqa: E402
from bench.report_scale import CONFIG, JOB, server_for  # noqa: E402
from tests.fixtures.mariadb import free_port, restart_kept, start_mariadb  # noqa: E402

ENDPOINTS = [
    "/api/transactions?limit=50",
    "/api/transactions?limit=200",
    "/api/transactions?limit=50&status=TIMEOUT",
    "/api/panels?window=10",
    "/api/panels?window=60",
    "/api/status",
]
GOAL_P95_MS = 100.0
GOAL_STALL_MS = 50.0  # issue 16: no request waits longer behind pairing
PAIR_ENDPOINTS = [
    "/api/transactions?limit=50",
    "/api/transactions?limit=200",
    "/api/transactions?limit=50&status=TIMEOUT",
    "/api/panels?window=10",
    "/api/panels?window=60",
]
PROBE = "/api/status"  # trivial: the connection states
DASHBOARD_SERVER_ARGS = ["--innodb-buffer-pool-size=512M"]
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.I)
_COMPUTED_AT = re.compile(rb'"computed_at": ?("[^"]*"|null)')
STATUS_MIX = ("COMPLETE",) * 14 + ("SUBMITTED", "SUBMITTED", "EP_UNAVAILABLE", "TIMEOUT", "BAD_REQUEST",
                                   "CD_UNAVAILABLE")


def schema() -> str:
    text = (REPO / "contrib" / "sql" / "dashboard_transactions.sql").read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--")).strip().rstrip(";")


def step_of(rows: int, hours: float) -> int:
    """Microseconds between two rows when ``rows`` rows are spread evenly over ``hours``."""
    return int(hours * 3600e6 / rows)


def fill(server, rows: int, step_us: int, first: int = 1, newest: Any = None) -> float:
    """Insert ``rows`` rows numbered from ``first``, one every ``step_us`` back from ``newest`` (default the
    server's NOW(3)) exclusive; returns seconds taken."""
    began = time.monotonic()
    statuses = ",".join(f"'{s}'" for s in STATUS_MIX)
    conn = server.connect("dashboard")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT CAST(COALESCE(%s, NOW(3)) AS DATETIME(3))", (newest,))
            (now,) = cur.fetchone()
            try:
                cur.execute(
                    "INSERT INTO transactions SELECT"
                    " LPAD(HEX(n), 36, '0'), CONCAT('user', n MOD 40),"
                    " CONCAT('file_', n, '.dat'), 1000 + (n * 7919) MOD 5000000,"
                    " CONCAT('ingress-0', n MOD 3), %s - INTERVAL (seq * %s) MICROSECOND,"
                    " IF(ELT(1 + n MOD 20, " + statuses + ") IN ('COMPLETE', 'EP_UNAVAILABLE'),"
                    "    CONCAT('egress-0', n MOD 2), NULL),"
                    " IF(ELT(1 + n MOD 20, " + statuses + ") IN ('COMPLETE', 'EP_UNAVAILABLE'),"
                    "    %s - INTERVAL (seq * %s) MICROSECOND + INTERVAL (500000 + n MOD 3000000) MICROSECOND,"
                    "    NULL),"
                    " ELT(1 + n MOD 20, " + statuses + ")"
                    f" FROM (SELECT seq, seq + {int(first) - 1} AS n FROM seq_1_to_{int(rows)}) AS s",
                    (now, step_us, now, step_us))
            except Exception as exc:  # no Sequence engine: batched client-side inserts
                print(f"  (Sequence engine unavailable: {exc}; inserting in batches)")
                fill_batches(cur, rows, step_us, now, first)
            cur.execute("ANALYZE TABLE transactions")
            cur.fetchall()
    finally:
        conn.close()
    return time.monotonic() - began


def fill_batches(cur, rows: int, step_us: int, now, first: int = 1) -> None:
    from datetime import timedelta

    batch: List[Tuple] = []
    sql = ("INSERT INTO transactions (transaction_id, username, file_name, file_size, ingress_server, ingress_time,"
           " egress_server, egress_time, status) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)")
    for seq in range(1, rows + 1):
        n = seq + first - 1
        status = STATUS_MIX[n % 20]
        ingress = now - timedelta(microseconds=seq * step_us)
        done = status in ("COMPLETE", "EP_UNAVAILABLE")
        batch.append((f"{n:036x}", f"user{n % 40}", f"file_{n}.dat", 1000 + (n * 7919) % 5000000,
                      f"ingress-0{n % 3}", ingress, f"egress-0{n % 2}" if done else None,
                      ingress + timedelta(microseconds=500000 + n % 3000000) if done else None, status))
        if len(batch) >= 5000:
            cur.executemany(sql, batch)
            batch = []
    if batch:
        cur.executemany(sql, batch)


def roll_forward(server, rows: int, hours: float) -> Tuple[int, float]:
    """A kept table brought up to now the way a day of traffic moves on: the rows of the time since it was last
    used are added (numbered after the newest) and those older than ``hours`` deleted, so the table again holds
    ``rows`` rows over the last ``hours``; returns (rows added, seconds taken)."""
    began = time.monotonic()
    step_us = step_of(rows, hours)
    conn = server.connect("dashboard")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT TIMESTAMPDIFF(MICROSECOND, MAX(ingress_time), NOW(3)), MAX(ingress_time),"
                        " CAST(CONV(MAX(transaction_id), 16, 10) AS UNSIGNED) FROM transactions")
            gap_us, newest, last = cur.fetchone()
            added = min(rows, int(gap_us) // step_us)
            if added:
                cur.execute("SELECT %s + INTERVAL %s MICROSECOND", (newest, (added + 1) * step_us))
                (top,) = cur.fetchone()
                fill(server, added, step_us, first=int(last) + 1, newest=top)
                cur.execute("DELETE FROM transactions WHERE ingress_time < %s - INTERVAL %s MICROSECOND",
                            (top, rows * step_us))
                conn.commit()
    finally:
        conn.close()
    return added, time.monotonic() - began


def dashboard_server(rows: int, hours: float, reuse: Optional[str]) -> Tuple[Any, str]:
    """A server holding the table of ``rows`` rows over the last ``hours``, and what was done to get it: loaded
    afresh, or (``reuse``, a datadir kept by an earlier run with the same --rows/--hours) rolled forward."""
    if reuse is not None:
        base = Path(reuse)
        marker = base / f"loaded-{rows}-{hours:g}h"
        if marker.exists():
            server = restart_kept(base, DASHBOARD_SERVER_ARGS)
            try:
                added, took = roll_forward(server, rows, hours)
            except BaseException:
                server.stop()
                raise
            return server, f"reused the datadir in {reuse}: {added:,} rows rolled in (and out) in {took:.1f} s"
        if base.exists():
            shutil.rmtree(base)
        base.mkdir(parents=True)
    server = start_mariadb(Path(reuse) if reuse else None, extra_args=DASHBOARD_SERVER_ARGS)
    try:
        server.create_database("dashboard")
        server.execute(schema(), database="dashboard")
        server.create_user("bench", "bench-pw", ["GRANT SELECT, DELETE ON `dashboard`.* TO {user}"])
        loaded = fill(server, rows, step_of(rows, hours))
    except BaseException:
        server.destroy()
        raise
    if reuse:
        (Path(reuse) / f"loaded-{rows}-{hours:g}h").touch()
    return server, f"loaded {rows:,} rows in {loaded:.1f} s (MariaDB {server.connect().server_version})"


def settle(server, timeout: float = 180.0) -> float:
    """Wait until InnoDB has flushed the load's dirty pages (background flushing skews latencies)."""
    began = time.monotonic()
    conn = server.connect()
    try:
        with conn.cursor() as cur:
            while time.monotonic() - began < timeout:
                cur.execute("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'")
                if int(cur.fetchone()[1]) < 100:
                    break
                time.sleep(1.0)
            # read the whole table and its indexes once, as a long-running server would have
            for sql in ("SELECT COUNT(*), SUM(file_size) FROM dashboard.transactions",
                        "SELECT COUNT(*) FROM dashboard.transactions FORCE INDEX (idx_ingress_time)"):
                cur.execute(sql)
                cur.fetchall()
    finally:
        conn.close()
    return time.monotonic() - began


def dashboard_config(server, cache_s: float, pool_size: int) -> str:
    return (f"web:\n  layout: dashboard\n  cache: {cache_s:g}s\n  pool_size: {pool_size}\n"
            f"  database: {{host: 127.0.0.1, port: {server.port}, user: bench, password_env: FTH_BENCH_PW,"
            " database: dashboard}\n")


def pair_config(server, cache_s: float, pool_size: int) -> str:
    """fth-report's bench job YAML (its tracking databases) with a web section for the pair layout."""
    jobs = "".join(JOB.format(i=i) for i in range(4))
    return (CONFIG.format(jobs=jobs, port=server.port)
            + f"web:\n  layout: pair\n  cache: {cache_s:g}s\n  pool_size: {pool_size}\n")


def start_web(config_text: str, password: str) -> Tuple[subprocess.Popen, int]:
    port = free_port()
    config = Path(tempfile.mkdtemp(prefix="fthweb-bench-")) / "web.yml"
    config.write_text(config_text, encoding="utf-8")
    env = dict(os.environ, FTH_BENCH_PW=password, PYTHONPATH=str(REPO))
    code = "import sys; from fth.main import web_main; sys.exit(web_main(sys.argv[1:]))"
    proc = subprocess.Popen([sys.executable, "-c", code, "-c", str(config), "--port", str(port), "-q"],
                            env=env, cwd=str(config.parent))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/status")
            conn.getresponse().read()
            conn.close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("fth-web did not start")


class KeepAlive:
    """One keep-alive HTTP/1.1 connection that GETs and reads answers by Content-Length: the clients share this
    process's one core with nothing to spare, and http.client's header parsing cost more CPU per answer than
    fth-web spends making it (0.65 ms for ``limit=50``, 1.6 ms for ``limit=200`` against fth-web's 0.3 ms)."""

    def __init__(self, port: int, timeout: float) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()

    def _more(self) -> None:
        data = self.sock.recv(262144)
        if not data:
            raise ConnectionError("fth-web closed the connection")
        self.buffer += data

    def get(self, path: str) -> Tuple[int, bytes]:
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode("ascii"))
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._more()
        head = bytes(self.buffer[:end])
        length = _CONTENT_LENGTH.search(head)
        if length is None:
            raise ConnectionError(f"no Content-Length in {head[:200]!r}")
        total = end + 4 + int(length.group(1))
        while len(self.buffer) < total:
            self._more()
        body = bytes(self.buffer[end + 4:total])
        del self.buffer[:total]
        return int(head[9:12]), body

    def close(self) -> None:
        self.sock.close()


def client(port: int, path: str, until: float, samples: List[float], errors: List[str],
           pause_s: float = 0.0, results: Optional[Set[bytes]] = None) -> None:
    """Requests ``path`` until ``until``; ``results`` collects the answers' distinct ``computed_at`` (read from the
    head of the body: keeping the bodies to parse later cost the clients' process gigabytes at 88 kB each)."""
    conn = KeepAlive(port, timeout=120)
    while time.monotonic() < until:
        began = time.perf_counter()
        try:
            status, body = conn.get(path)
            if status != 200 or b'"examples": true' in body or b'"examples":true' in body:
                errors.append(f"{status} {body[:120]!r}")
            elif results is not None:
                computed = _COMPUTED_AT.search(body, 0, 4096)
                results.add(computed.group(1) if computed else b"null")
        except OSError as exc:
            errors.append(str(exc))
            conn.close()
            conn = KeepAlive(port, timeout=30)
            continue
        samples.append((time.perf_counter() - began) * 1000.0)
        if pause_s:
            gevent.sleep(pause_s)
    conn.close()


def percentile(ordered: List[float], pct: float) -> float:
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100.0 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(samples: List[float], errors: List[str], seconds: float) -> Dict[str, Any]:
    ordered = sorted(samples)
    return {"n": len(ordered), "errors": len(errors), "p50": percentile(ordered, 50), "p95": percentile(ordered, 95),
            "p99": percentile(ordered, 99), "max": ordered[-1] if ordered else float("nan"),
            "rps": len(ordered) / seconds, "first_error": errors[0] if errors else ""}


def measure(port: int, path: str, clients: int, seconds: float, probe: Optional[str] = None,
            pause_s: float = 0.0) -> Dict[str, Any]:
    """``clients`` keep-alive clients on ``path`` (each pausing ``pause_s`` between requests); with ``probe``,
    one more client polls that trivial endpoint every 20 ms and its figures come back under ``"probe"``; the
    answers' distinct ``computed_at`` under ``"results"`` (how many background computations the clients saw)."""
    samples: List[float] = []
    errors: List[str] = []
    results: Set[bytes] = set()
    until = time.monotonic() + seconds
    jobs = [gevent.spawn(client, port, path, until, samples, errors, pause_s, results) for _ in range(clients)]
    probe_samples: List[float] = []
    probe_errors: List[str] = []
    if probe:
        jobs.append(gevent.spawn(client, port, probe, until, probe_samples, probe_errors, 0.02))
    gevent.joinall(jobs)
    result = summary(samples, errors, seconds)
    result["probe"] = summary(probe_samples, probe_errors, seconds)
    result["results"] = results
    return result


def header(label: str) -> None:
    print(f"\n  {label}")
    print(f"  {'endpoint':<44} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
          f" {'max ms':>8} {'errors':>7} {'p95<' + format(GOAL_P95_MS, 'g'):>6}")


def line(label: str, r: Dict[str, Any]) -> str:
    verdict = "ok" if r["p95"] < GOAL_P95_MS else "MISS"
    return (f"  {label:<44} {r['n']:>9,} {r['rps']:>8.0f} {r['p50']:>8.1f} {r['p95']:>8.1f}"
            f" {r['p99']:>8.1f} {r['max']:>8.1f} {r['errors']:>7} {verdict:>6}"
            + (f"  first error: {r['first_error']}" if r["errors"] else ""))


def dashboard_main(args: argparse.Namespace) -> None:
    print(f"fth-web API bench, dashboard layout: {args.rows:,} rows over {args.hours:g} h, {args.clients} concurrent"
          f" clients, {args.seconds:g} s per endpoint, pool {args.pool_size}")
    server, how = dashboard_server(args.rows, args.hours, args.reuse)
    procs: List[subprocess.Popen] = []
    try:
        print(f"  {how} (127.0.0.1:{server.port})")
        if args.covering_index:
            server.execute("CREATE INDEX IF NOT EXISTS idx_ingress_status_size"
                           " ON transactions (ingress_time, status, file_size)", database="dashboard")
            print("  created the optional covering index idx_ingress_status_size")
        elif args.reuse:  # a kept datadir may have it from an earlier run
            server.execute("DROP INDEX IF EXISTS idx_ingress_status_size ON transactions", database="dashboard")
        print(f"  waited {settle(server):.1f} s for InnoDB to flush and warm up")
        per_10min = args.rows / (args.hours * 6)
        print(f"  ≈{per_10min:,.0f} rows per 10-minute window, ≈{per_10min * 6:,.0f} per hour")
        scenarios = [(1.0, "default 1 s shared cache"), (0.0, "cache off: every request queries")]
        for cache_s, label in scenarios[:1] if args.skip_cache_off else scenarios:
            proc, port = start_web(dashboard_config(server, cache_s, args.pool_size), "bench-pw")
            procs.append(proc)
            header(label)
            for path in ENDPOINTS:
                measure(port, path, 2, 0.5)  # warm up connections and caches
                runs = [(path, args.clients)]
                if cache_s == 0:
                    runs.append(("  same, 1 client (the query alone)", 1))
                for label_, clients in runs:
                    print(line(label_, measure(port, path, clients, args.seconds if clients > 1 else args.seconds / 2)))
            proc.terminate()
            proc.wait(timeout=15)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        if args.reuse:
            server.stop()
        else:
            server.destroy()


def into_the_last_hour(server) -> int:
    """Shift the loaded pairs (one hour of them) to end 3 minutes from now, so the 60-minute panel holds them
    all for the next minutes; returns how many ingress rows are in that window now."""
    conn = server.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT TIMESTAMPDIFF(MICROSECOND, MAX(startTime), UTC_TIMESTAMP(3) + INTERVAL 3 MINUTE)"
                        " FROM bench_ingress.transfers")
            (shift,) = cur.fetchone()
            for database in ("bench_ingress", "bench_egress"):
                cur.execute(f"UPDATE {database}.transfers SET startTime = startTime + INTERVAL %s MICROSECOND,"
                            " endTime = endTime + INTERVAL %s MICROSECOND", (shift, shift))
            cur.execute("SELECT COUNT(*) FROM bench_ingress.transfers"
                        " WHERE startTime >= UTC_TIMESTAMP(3) - INTERVAL 60 MINUTE")
            return int(cur.fetchone()[0])
    finally:
        conn.close()


def pair_main(args: argparse.Namespace) -> None:
    print(f"fth-web API bench, pair layout: {args.pairs:,} pairs, {args.clients} concurrent clients, "
          f"{args.seconds:g} s per endpoint, default 1 s shared cache")
    server, loaded = server_for(args.pairs, args.reuse)
    proc = None
    try:
        print(f"  loaded {args.pairs:,} pairs in {loaded:.1f} s" if loaded else f"  reused the datadir in {args.reuse}")
        began = time.monotonic()
        in_window = into_the_last_hour(server)
        print(f"  shifted them into the last hour in {time.monotonic() - began:.1f} s:"
              f" {in_window:,} ingress rows in the 60-minute window")
        proc, port = start_web(pair_config(server, 1.0, args.pool_size), "bench-pw")
        for path in PAIR_ENDPOINTS:  # the first answer of each waits for its first computation
            began = time.monotonic()
            measure(port, path, 1, 0.01)
            print(f"  first answer of {path}: {time.monotonic() - began:.1f} s (its first computation)")
        header(f"{args.clients} clients per endpoint (closed loop); pairing recomputes in fth-web's lane processes")
        for path in PAIR_ENDPOINTS:
            r = measure(port, path, args.clients, args.seconds)
            print(line(path, r) + f"  ({len(r['results'])} results seen)")
        # the stall: a lone client of a trivial endpoint while the 60-minute panel is recomputed, polled in
        # rounds until a new result shows that a whole recomputation ran (at most --stall-max seconds)
        seen, longest, polls, rounds = set(), 0.0, 0, 0
        began = time.monotonic()
        while len(seen) < 2 and time.monotonic() - began < args.stall_max:
            r = measure(port, "/api/panels?window=60", 1, args.seconds * 3, probe=PROBE, pause_s=0.5)
            seen |= r["results"]
            longest, polls, rounds = max(longest, r["probe"]["max"]), polls + r["probe"]["n"], rounds + 1
        print(f"\n  {PROBE} polled every 20 ms for {time.monotonic() - began:.0f} s while /api/panels?window=60 was"
              f" recomputed ({len(seen)} results seen): {polls:,} polls, longest {longest:.1f} ms"
              f" (goal < {GOAL_STALL_MS:g} ms: {'ok' if longest < GOAL_STALL_MS else 'MISS'})")
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=15)
        if args.reuse:
            server.stop()
        else:
            server.destroy()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layout", choices=("dashboard", "pair"), default="dashboard")
    parser.add_argument("--rows", type=int, default=1_000_000, help="dashboard layout: rows in the table")
    parser.add_argument("--hours", type=float, default=24.0, help="dashboard layout: spread the rows over N hours")
    parser.add_argument("--pairs", type=int, default=50_000, help="pair layout: pairs, all in the last hour")
    parser.add_argument("--reuse", metavar="DIR", help="pair layout: a datadir kept by bench/report_scale.py --reuse"
                        " (loaded with the same --pairs; its timestamps are moved to the last hour); dashboard"
                        " layout: keep the loaded datadir in DIR, and on the next run with the same --rows/--hours"
                        " roll it forward to now (add the rows of the time since, delete the older ones)")
    parser.add_argument("--stall-max", type=float, default=400.0,
                        help="pair layout: seconds to wait at most for a recomputation of the 60-minute panel")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0, help="per endpoint and cache setting")
    parser.add_argument("--pool-size", type=int, default=8, help="fth-web's connections to the database")
    parser.add_argument("--skip-cache-off", action="store_true",
                        help="dashboard layout: only the default cache (with it off, 50 clients of the 60-minute panel"
                             " at 10M rows each wait minutes for their own query)")
    parser.add_argument("--covering-index", action="store_true",
                        help="also create the optional index (ingress_time, status, file_size) that makes the "
                             "panel query index-only (not part of seed 002's schema)")
    args = parser.parse_args()
    if args.layout == "pair":
        pair_main(args)
    else:
        dashboard_main(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
