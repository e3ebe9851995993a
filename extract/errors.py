"""The one error a reader raises for bad input: it names the file, row and field."""
from __future__ import annotations

from pathlib import Path


class RejectedFile(Exception):
    """A file that cannot be loaded as its layout says. Nothing from it is loaded."""

    def __init__(self, path: Path | str, reason: str, row: int | None = None,
                 field: str | None = None) -> None:
        self.path = Path(path)
        self.reason = reason
        self.row = row
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.path.name]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.reason}"
