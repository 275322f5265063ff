"""Adapter from fth-web's report rows to the shared report engine of fth-report (:mod:`fth.report`)."""

from datetime import datetime
from typing import Any, Dict, List, Optional


def render_html_report(rows: List[Dict[str, Any]], layout: str, start: datetime, end: datetime,
                       username: Optional[str], title: str) -> str:
    raise NotImplementedError("fth.report is not available yet")
