"""The figures as a table."""

from __future__ import annotations

from typing import Any

_COLUMNS = ("#", "figure", "value", "target", "result")


def table(figures: list[dict[str, Any]]) -> str:
    rows = [(str(f["number"]), f["name"], f["shown"], f["target"], "pass" if f["passed"] else "MISS") for f in figures]
    widths = [max(len(row[i]) for row in [_COLUMNS, *rows]) for i in range(len(_COLUMNS))]
    lines = [
        " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in [_COLUMNS, *rows]
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)
