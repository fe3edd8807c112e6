"""The web console's files (``functions/hookline/console/``), served from the API's own origin at ``/console/``.

Every file ships with the function: no CDN, no web fonts, no script from elsewhere. Each answer carries a strict
Content Security Policy (scripts and styles from this origin only, no inline script, calls to this origin only).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from hookline.api.errors import json_response

router = Router()

CONSOLE_PREFIX = "/console"
#: The files the console is made of, and their types; nothing else is served.
FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@cache
def _file(name: str) -> str:
    return resources.files("hookline.console").joinpath(name).read_text(encoding="utf-8")


def _serve(name: str) -> Response[Any]:
    if name not in FILES:
        return json_response(404, {"message": "404 Not Found"}, SECURITY_HEADERS)
    return Response(status_code=200, content_type=FILES[name], body=_file(name), headers=SECURITY_HEADERS)


@router.get(f"{CONSOLE_PREFIX}/", include_in_schema=False)
def console_index() -> Response[Any]:
    """The page; ``/console`` (Powertools routes it here too) is redirected to ``/console/``, relatively, so that
    the page's relative links work under an API Gateway stage too."""
    if not router.current_event.path.endswith("/"):
        return Response(status_code=308, body="", headers={"Location": "console/", **SECURITY_HEADERS})
    return _serve("index.html")


@router.get(f"{CONSOLE_PREFIX}/<name>", include_in_schema=False)
def console_file(name: str) -> Response[Any]:
    return _serve(name)
