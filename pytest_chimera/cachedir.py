"""Where pytest-chimera keeps what it makes once and reuses: the assembled model file, the key figures."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The user cache directory of pytest-chimera (not created here): ``$PYTEST_CHIMERA_CACHE``, else
    ``$XDG_CACHE_HOME/pytest-chimera``, else ``~/.cache/pytest-chimera``."""
    override = os.environ.get("PYTEST_CHIMERA_CACHE")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "pytest-chimera"
