"""Files that may hold personal data (SEN2 returns, their validation reports with UPNs,
quarantined extracts) are readable by their owner alone: created 0600 before the first byte
is written, so there is no moment when another user could open them."""
from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_path(path: Path) -> Path:
    """Create (or truncate) `path` as an empty file of mode 0600, its folder made if missing
    (0700), and return it; write to it afterwards."""
    path = Path(path)
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=FOLDER_MODE, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)      # an existing file keeps its mode through O_CREAT
    finally:
        os.close(fd)
    return path


def write_private_text(path: Path, text: str) -> Path:
    """Write `text` (UTF-8) to `path`, mode 0600."""
    path = private_path(path)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path
