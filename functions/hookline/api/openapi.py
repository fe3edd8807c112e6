"""Write the committed OpenAPI document: ``PYTHONPATH=functions:. .venv/bin/python -m hookline.api.openapi``."""

from __future__ import annotations

from pathlib import Path

from hookline.api.app import openapi_json

DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"


def main() -> None:
    DOCUMENT.write_text(openapi_json() + "\n")


if __name__ == "__main__":
    main()
