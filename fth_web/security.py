"""Security headers on every answer of fth-web: Content-Security-Policy, nosniff, no framing.

The monitor's pages load their script and styles from /static and carry no inline script,
style element or style attribute, so the default policy allows only this origin. A page that
carries its own inline ``<script>``/``<style>`` (the HTML report, a self-contained file) is
answered with :func:`policy_for`, which allows exactly those blocks by their SHA-256 hashes.
"""

import base64
import hashlib
import re
from typing import List

from flask import Flask, Response

_BASE = ("default-src 'self'", "img-src 'self' data:", "object-src 'none'", "base-uri 'none'",
         "form-action 'self'", "frame-ancestors 'none'")
POLICY = "; ".join((*_BASE, "script-src 'self'", "style-src 'self'"))

# An inline block: <script> without src whose type is JavaScript (a JSON data block never runs), or <style>.
_INLINE = re.compile(r"<(script|style)((?:\s[^>]*)?)>(.*?)</\1>", re.S | re.I)
_NOT_JS = re.compile(r"""\b(src|type\s*=\s*["']?application/json)""", re.I)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def policy_for(html: str) -> str:
    """The policy for a document with inline blocks: each allowed by its hash, nothing else inline."""
    scripts: List[str] = []
    styles: List[str] = []
    for tag, attrs, body in _INLINE.findall(html):
        if tag.lower() == "style":
            styles.append(_sha256(body))
        elif not _NOT_JS.search(attrs):
            scripts.append(_sha256(body))
    return "; ".join((*_BASE, " ".join(["script-src 'self'", *scripts]), " ".join(["style-src 'self'", *styles])))


def install(app: Flask) -> None:
    """Add the headers to every response (a view that set its own policy keeps it)."""

    @app.after_request
    def secure_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
