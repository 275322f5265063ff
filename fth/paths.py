"""Where fth keeps state between runs: the XDG state directory, never the current directory.

``fth-target`` keeps its tracking store and SFTP host key in :func:`target_state_dir`, and a
``tracking:`` database with ``driver: sqlite`` and no ``path:`` reads that same store, so the
target, ``fth-report`` and ``fth-web`` agree wherever each is started.
"""

import os
from pathlib import Path
from typing import Optional

TARGET_STORE = "fth-target.sqlite"
TARGET_HOST_KEY = "host.key"


def state_home() -> Path:
    """``$XDG_STATE_HOME``, or ``~/.local/state`` (the XDG default; a relative value is ignored, as the spec says)."""
    value = os.environ.get("XDG_STATE_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".local" / "state"


def target_state_dir() -> Path:
    return state_home() / "fth" / "target"


def target_store(state_dir: Optional[Path] = None) -> str:
    """The built-in target's SQLite tracking store in ``state_dir`` (default :func:`target_state_dir`)."""
    return str((state_dir or target_state_dir()) / TARGET_STORE)
