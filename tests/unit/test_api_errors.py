"""Domain errors become GitLab's answers in one place: each error's status, body and headers."""

from __future__ import annotations

from typing import Any

import pytest

from hookline.api import errors as api_errors
from hookline.api.errors import TooLarge, Unauthorized, UnsupportedMediaType, gitlab_answer
from hookline.domain import errors
from hookline.domain.errors import DomainError
from hookline.domain.hooks import InvalidHookField

ANSWERS: list[tuple[DomainError, tuple[int, dict[str, Any], dict[str, str]]]] = [
    (errors.NotFound(), (404, {"message": "404 Not found"}, {})),
    (errors.NotFound("Project"), (404, {"message": "404 Project Not Found"}, {})),
    (errors.NotFound("URL variable"), (404, {"message": "404 URL variable Not Found"}, {})),
    (Unauthorized(), (401, {"message": "401 Unauthorized"}, {})),
    (errors.Forbidden(), (403, {"message": "403 Forbidden"}, {})),
    (errors.BadParameter("url is missing"), (400, {"error": "url is missing"}, {})),
    (errors.BadRequest("Expires at must be in the future"), (400, {"message": "400 Bad request - Expires at must be in the future"}, {})),
    (TooLarge(), (413, {"message": "413 Request Entity Too Large"}, {})),
    (UnsupportedMediaType("text/plain"), (415, {"error": "The provided content-type 'text/plain' is not supported."}, {})),
    (errors.Invalid("url", "is blocked"), (422, {"message": {"url": ["is blocked"]}}, {})),
    (InvalidHookField("token", "is invalid"), (422, {"message": {"token": ["is invalid"]}}, {})),
    (errors.Unprocessable("Invalid url given"), (422, {"error": "Invalid url given"}, {})),
    (errors.Refused("Hook disabled"), (422, {"message": "Hook disabled"}, {})),
    (errors.RateLimited(30), (429, {"message": "429 Too Many Requests"}, {"Retry-After": "30"})),
]  # fmt: skip


@pytest.mark.parametrize(("error", "answer"), ANSWERS, ids=lambda value: type(value).__name__)
def test_each_error_has_gitlabs_answer(error: DomainError, answer: tuple[int, dict[str, Any], dict[str, str]]) -> None:
    assert gitlab_answer(error) == answer


def test_every_error_class_is_answered() -> None:
    """A new DomainError needs its row in ``gitlab_answer`` (and here)."""
    defined = {
        value
        for module in (errors, api_errors)
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, DomainError) and value is not DomainError
    }
    assert defined <= {type(error) for error, _ in ANSWERS}
