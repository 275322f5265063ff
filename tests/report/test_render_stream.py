"""The report streams: a large transaction list goes out in pieces, never held as one string."""

import json
import re

from fth.report.compute import Record, summarize
from fth.report.render import TX_CHUNK, render_report_chunks


def test_a_large_list_goes_out_in_pieces_and_reads_back_whole():
    count = 3 * TX_CHUNK + 7
    records = [Record("alice", f"file-{i:06d}.csv", 1_000.0 + i / 100, 1_001.0 + i / 100, "SUCCESS", True,
                      uuid=f"u{i}", size=100 + i) for i in range(count)]
    summary = summarize(records, jobs={"alice": "orders"}, window=(1_000.0, 2_000.0))
    chunks = list(render_report_chunks(summary))
    html = "".join(chunks)
    data = json.loads(re.search(r'<script type="application/json" id="tx-data">(.*?)</script>', html, re.S).group(1))
    assert len(data["rows"]) == count
    assert [row[3] for row in data["rows"]] == [f"file-{i:06d}.csv" for i in range(count)]  # every row, in order
    assert {data["strings"][row[1]] for row in data["rows"]} == {"alice"}  # interned columns read back
    biggest = max(len(chunk) for chunk in chunks)
    assert biggest < len(html) / 3  # the list is split: no piece holds all of it
    assert "fth-transactions-" not in html  # the splice mark never reaches the page
