"""Every writable hook field against hostile values: each is refused naming its field, or accepted and then harmless.

An accepted value leaves a hook that can be read, listed, updated, tested (201 or 422, never 500) and deleted; no
secret shows in any API answer or in the hook's logs; and the neighbour invariant holds. The accepted rows of one
field share one :class:`Bulkhead` run (one push for all of them), to keep the table quick.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.adversarial.neighbours import Bulkhead, assert_no_secret, push_payload

RECEIVER = "RECEIVER"  # replaced by the receiver's URL for the hostile hook
SEALED_LOOKALIKE = "kms1:QUFBQQ==:QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJC"
SEALED_PASSWORD = "kms1:UFdQVw==:cGFzc3dvcmQtbG9va2FsaWtl"
SIGNING_TOKEN = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # whsec_ + base64 of 27 bytes: not a valid key
VALID_SIGNING_TOKEN = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU="


@dataclass(frozen=True)
class Row:
    """Fields sent with the hostile hook; whether they are accepted; the values that must never be shown."""

    fields: dict[str, Any]
    accepted: bool
    secrets: tuple[str, ...] = ()
    named: str = ""  # the field a refusal names (default: the row's first field)


def accept(secrets: tuple[str, ...] = (), **fields: Any) -> Row:
    return Row(fields, True, secrets)


def refuse(named: str = "", **fields: Any) -> Row:
    return Row(fields, False, named=named)


def _var(value: str, key: str = "v") -> dict[str, Any]:
    return {"url": RECEIVER + "/{" + key + "}", "url_variables": [{"key": key, "value": value}]}


def _header(value: str, name: str = "X-Hostile") -> dict[str, Any]:
    return {"custom_headers": [{"key": name, "value": value}]}


def _filter(pattern: str, strategy: str = "wildcard") -> dict[str, Any]:
    return {"push_events_branch_filter": pattern, "branch_filter_strategy": strategy}


TABLE: dict[str, dict[str, Row]] = {
    "url": {
        "nul": refuse(url=RECEIVER + "/a\x00b"),
        "del": refuse(url=RECEIVER + "/a\x7fb"),
        "c1-control": refuse(url=RECEIVER + "/a\x85b"),
        "crlf-injection": refuse(url=RECEIVER + "/a\r\nX-Injected: 1"),
        "tab": refuse(url=RECEIVER + "/a\tb"),
        "leading-space": refuse(url=" " + RECEIVER),
        "trailing-space": refuse(url=RECEIVER + " "),
        "too-long": refuse(url=RECEIVER + "/" + "a" * 2048),
        "unknown-placeholder": refuse(url=RECEIVER + "/{nope}"),
        "not-http": refuse(url="gopher://127.0.0.1/x"),
        "empty": refuse(url=""),
        "long-path": accept(url=RECEIVER + "/" + "p" * 1900),
        "sealed-lookalike-path": accept(url=RECEIVER + "/" + SEALED_LOOKALIKE),
        "redacted-path": accept(url=RECEIVER + "/[REDACTED]"),
        "percent-nul": accept(url=RECEIVER + "/a%00b%0d%0a"),
        "unicode-path": accept(url=RECEIVER + "/ünï\u2028cöde\u202e"),
        "password": accept(("pw-hostile-s3cret",), url=RECEIVER.replace("://", "://user:pw-hostile-s3cret@")),
        "sealed-password": accept((SEALED_PASSWORD,), url=RECEIVER.replace("://", f"://u:{SEALED_PASSWORD}@")),
        "query-and-fragment": accept(url=RECEIVER + "?a=1&b=%22#frag"),
        "emoji-userinfo": accept(
            ("p\U0001f600ss-emoji",), url=RECEIVER.replace("://", "://\u00fc:p\U0001f600ss-emoji@")
        ),
        "odd-host": accept(url="http://exa\u2028mple.invalid/x"),
        "placeholder-host": accept(url="http://{h}/x", url_variables=[{"key": "h", "value": "127.0.0.1"}]),
    },
    "url_variables": {
        "nul": refuse(**_var("a\x00b")),
        "crlf": refuse(**_var("a\r\nb")),
        "del": refuse(**_var("a\x7f")),
        "too-long": refuse(**_var("v" * 101)),
        "empty": refuse(**_var("")),
        "key-too-long": refuse(**_var("value", "k" * 101)),
        "key-dash": refuse(**_var("value", "a-b")),
        "sealed-lookalike": accept((SEALED_LOOKALIKE,), **_var(SEALED_LOOKALIKE)),
        "redacted": accept(("[REDACTED]-var-value",), **_var("[REDACTED]-var-value")),
        "placeholder-in-value": accept(("{v}-var-nested",), **_var("{v}-var-nested")),
        "spaces": accept(("  spaced var value ",), **_var("  spaced var value ")),
        "path-traversal": accept(("../../var-escape",), **_var("../../var-escape")),
        "unicode": accept(("väriäble-\u2028-\ufeff",), **_var("väriäble-\u2028-\ufeff")),
        "longest": accept(("w" * 100,), **_var("w" * 100)),
    },
    "token": {
        "nul": refuse(token="tok\x00en"),
        "crlf": refuse(token="tok\r\nX-Injected: 1"),
        "newline": refuse(token="tok\nen"),
        "del": refuse(token="tok\x7fen"),
        "tab": refuse(token="tok\ten"),
        "leading-space": refuse(token=" token-value"),
        "trailing-space": refuse(token="token-value "),
        "non-ascii": refuse(token="tökén-value"),
        "bidi-override": refuse(token="token\u202evalue"),
        "too-long": refuse(token="t" * 2049),
        "sealed-lookalike": accept((SEALED_LOOKALIKE,), token=SEALED_LOOKALIKE),
        "redacted": accept(("[REDACTED]-tok-value",), token="[REDACTED]-tok-value"),
        "placeholder": accept(("{v}-token-value",), token="{v}-token-value"),
        "inner-space": accept(("inner space token",), token="inner space token"),
        "longest": accept(("t" * 2048,), token="t" * 2048),
    },
    "signing_token": {
        "sealed-lookalike": refuse(signing_token=SEALED_LOOKALIKE),
        "short-key": refuse(signing_token=SIGNING_TOKEN),
        "nul": refuse(signing_token=VALID_SIGNING_TOKEN + "\x00"),
        "trailing-space": refuse(signing_token=VALID_SIGNING_TOKEN + " "),
        "too-long": refuse(signing_token="whsec_" + "A" * 200),
        "valid": accept((VALID_SIGNING_TOKEN,), signing_token=VALID_SIGNING_TOKEN),
    },
    "custom_headers": {
        "host": refuse(**_header("evil.invalid", "Host")),
        "content-length": refuse(**_header("0", "content-length")),
        "transfer-encoding": refuse(**_header("chunked", "Transfer-Encoding")),
        "proxy-authorization": refuse(**_header("Basic eA==", "Proxy-Authorization")),
        "name-crlf": refuse(**_header("v", "X-A\r\nX-B")),
        "name-too-long": refuse(**_header("v", "X" * 129)),
        "value-nul": refuse(**_header("a\x00b")),
        "value-crlf": refuse(**_header("a\r\nX-Injected: 1")),
        "value-del": refuse(**_header("a\x7f")),
        "value-leading-space": refuse(**_header(" value")),
        "value-trailing-tab": refuse(**_header("value\t")),
        "value-non-ascii": refuse(**_header("välue")),
        "value-too-long": refuse(**_header("a" * 2049)),
        "value-empty": refuse(**_header("")),
        "sealed-lookalike": accept((SEALED_LOOKALIKE,), **_header(SEALED_LOOKALIKE)),
        "redacted": accept(("[REDACTED]-hdr-value",), **_header("[REDACTED]-hdr-value")),
        "placeholder": accept(("{v}-header-value",), **_header("{v}-header-value")),
        "delivery-header-name": accept(("spoofed-token-value",), **_header("spoofed-token-value", "X-Gitlab-Token")),
        "longest": accept(("h" * 2048,), **_header("h" * 2048)),
    },
    "custom_webhook_template": {
        "too-long": refuse(custom_webhook_template="t" * 4097),
        "nul": accept(custom_webhook_template='{"a":"\x00"}'),
        "not-json": accept(custom_webhook_template="{{object_kind}"),
        "placeholders-only": accept(custom_webhook_template="{{" * 2048),
        "deep-path": accept(custom_webhook_template='{"a":"{{' + ".".join(["x"] * 2000) + '}}"}'),
        "array-access": accept(custom_webhook_template='{"a":"{{commits.id}}"}'),
        "sealed-lookalike": accept(custom_webhook_template='{"a":"' + SEALED_LOOKALIKE + '"}'),
        "redacted": accept(custom_webhook_template='{"a":"[REDACTED]","b":"{v}"}'),
        "whole-payload-many-times": accept(custom_webhook_template="[" + ",".join(["{{commits}}"] * 340) + "]"),
        "unicode": accept(custom_webhook_template='{"a":"\u2028\ufeff\U0001f600"}'),
    },
    "push_events_branch_filter": {
        "wildcard-too-long": refuse(**_filter("b" * 4001)),
        "regex-too-long": refuse(**_filter("b" * 4001, "regex")),
        "regex-lookahead": refuse(**_filter("(?=main)", "regex")),
        "regex-unbalanced": refuse(**_filter("(main", "regex")),
        "strategy-unknown": refuse("branch_filter_strategy", **_filter("main", "glob")),
        "wildcard-nul": refuse(**_filter("ma\x00in")),  # not a git branch name (GitLab's validator)
        "wildcard-crlf": accept(**_filter("main\r\n")),  # squished
        "wildcard-stars": accept(**_filter("*" * 4000)),
        "wildcard-some-backtracking": accept(**_filter("*a" * 6 + "*x")),
        "wildcard-regex-chars": accept(**_filter("(a+)+$.x")),
        "wildcard-bracket-question": refuse(**_filter("(a+)+$[x]?")),
        "wildcard-redacted": refuse(**_filter("[REDACTED]")),
        "wildcard-unicode-spaces": accept(**_filter("\u3000main\u00a0\u2028")),
        "wildcard-placeholder": accept(**_filter("{v}")),
        "regex-nested-quantifiers": accept(**_filter("(a+)+$", "regex")),
        "regex-big-repeat": accept(**_filter("a{1,1000}b{1,1000}", "regex")),
        "regex-unicode": accept(**_filter("\\p{Greek}+|ü", "regex")),
        "all-branches-with-filter": accept(**_filter("\x00anything", "all_branches")),
    },
    "name": {
        "too-long": refuse(name="n" * 256),
        "unpaired-surrogate": refuse(name="\ud800"),
        "nul": accept(name="a\x00b"),
        "crlf": accept(name="a\r\nb"),
        "html": accept(name="<script>alert(1)</script>"),
        "sealed-lookalike": accept(name=SEALED_LOOKALIKE),
        "redacted": accept(name="[REDACTED]"),
        "bidi": accept(name="\u202eevil\u202c"),
        "longest": accept(name="n" * 255),
    },
    "description": {
        "too-long": refuse(description="d" * 2049),
        "unpaired-surrogate": refuse(description="x\udfff"),
        "nul-and-controls": accept(description="".join(chr(c) for c in range(32)) + "\x7f"),
        "placeholder": accept(description="{v} {{object_kind}}"),
        "longest": accept(description="d" * 2048),
    },
}


def _fill(value: Any, url: str) -> Any:
    if isinstance(value, str):
        return value.replace(RECEIVER, url)
    if isinstance(value, list):
        return [_fill(item, url) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, url) for key, item in value.items()}
    return value


@dataclass
class Accepted:
    row_id: str
    hook_id: int
    row: Row
    texts: list[str] = field(default_factory=list)


def _send(bulkhead: Bulkhead, method: str, path: str, fields: dict[str, Any]) -> httpx.Response:
    """JSON with every non-ASCII character escaped, so unpaired surrogates travel too."""
    if method == "POST":
        fields = {"url": bulkhead.receiver.url(bulkhead.hostile_path), "push_events": True, **fields}
    body = json.dumps(fields)
    return bulkhead.request(method, path, content=body, headers={"Content-Type": "application/json"})


#: GitLab names these fields in fixed messages when a hook fails validation on save.
GITLAB_WORDS = {
    "custom_headers": "Custom headers validation failed",
    "push_events_branch_filter": "Invalid branch filter given",
    "url": "Invalid url given",
}


def _refused(bulkhead: Bulkhead, row_id: str, row: Row, fields: dict[str, Any]) -> None:
    answer = _send(bulkhead, "POST", "", fields)
    named = row.named or next(iter(row.fields))
    assert 400 <= answer.status_code < 500, f"{row_id}: {answer.status_code} {answer.text[:200]}"
    words = (named, GITLAB_WORDS.get(named, named))
    assert any(word in answer.text for word in words), (
        f"{row_id}: the refusal does not name {named}: {answer.text[:200]}"
    )


def _exercise(bulkhead: Bulkhead, accepted: Accepted, fields: dict[str, Any]) -> None:
    """Read, list, update, test and list the events of an accepted hook; every answer kept for the secret check."""
    hook = f"/{accepted.hook_id}"
    shown = bulkhead.request("GET", hook)
    assert shown.status_code == 200 and shown.json()["unreadable"] is None, f"{accepted.row_id}: {shown.text[:200]}"
    assert accepted.hook_id in [listed["id"] for listed in bulkhead.request("GET", "", params={"per_page": 100}).json()]
    updated = _send(bulkhead, "PUT", hook, {"name": "renamed", **fields})
    assert updated.status_code == 200, f"{accepted.row_id}: {updated.status_code} {updated.text[:200]}"
    tested = bulkhead.request("POST", f"{hook}/test/push_events")
    assert tested.status_code in (201, 422), f"{accepted.row_id}: {tested.status_code} {tested.text[:200]}"
    events = bulkhead.request("GET", f"{hook}/events")
    assert events.status_code == 200
    for event in events.json():
        detail = bulkhead.request("GET", f"{hook}/events/{event['id']}")
        assert detail.status_code == 200
    logs = json.dumps(bulkhead.hostile_logs(accepted.hook_id), default=str, ensure_ascii=False)
    accepted.texts.extend([logs, json.dumps(bulkhead.hostile_logs(accepted.hook_id), default=str)])


def _run_field(bulkhead: Bulkhead, rows: dict[str, Row]) -> None:
    url = bulkhead.receiver.url(bulkhead.hostile_path)
    accepted: list[tuple[Accepted, dict[str, Any]]] = []
    for row_id, row in rows.items():
        fields = _fill(row.fields, url)
        if not row.accepted:
            _refused(bulkhead, row_id, row, fields)
            continue
        answer = _send(bulkhead, "POST", "", fields)
        assert answer.status_code == 201, f"{row_id}: {answer.status_code} {answer.text[:300]}"
        accepted.append((Accepted(row_id, answer.json()["id"], row), fields))

    bulkhead.run()
    bulkhead.assert_invariant()

    for item, fields in accepted:
        _exercise(bulkhead, item, fields)
    answers = [answer.text for answer in bulkhead.answers]
    for item, _ in accepted:
        for secret in item.row.secrets:
            assert_no_secret(secret, *answers, *item.texts)
    for item, _ in accepted:
        assert bulkhead.request("DELETE", f"/{item.hook_id}").status_code == 204
        assert bulkhead.request("GET", f"/{item.hook_id}").status_code == 404


@pytest.mark.parametrize("field_name", list(TABLE))
def test_hostile_values_of_a_field(bulkhead: Bulkhead, field_name: str) -> None:
    _run_field(bulkhead, TABLE[field_name])


def test_the_table_covers_every_writable_field() -> None:
    writable = {
        "url",
        "url_variables",
        "token",
        "signing_token",
        "custom_headers",
        "custom_webhook_template",
        "push_events_branch_filter",
        "name",
        "description",
    }
    assert set(TABLE) == writable
    for rows in TABLE.values():
        assert any(row.accepted for row in rows.values()) and any(not row.accepted for row in rows.values())


def test_a_refused_row_changes_nothing(bulkhead: Bulkhead) -> None:
    """The refused rows as updates of a healthy hook: each answers 4xx and the hook reads back unchanged."""
    url = bulkhead.receiver.url(bulkhead.hostile_path)
    created = bulkhead.hostile_hook(token="kept-token", custom_headers=[{"key": "X-Kept", "value": "kept"}])
    before = bulkhead.request("GET", f"/{created.json()['id']}").json()
    for row_id, row in ((f"{name}/{row_id}", row) for name, rows in TABLE.items() for row_id, row in rows.items()):
        if row.accepted:
            continue
        answer = _send(bulkhead, "PUT", f"/{created.json()['id']}", _fill(row.fields, url))
        assert 400 <= answer.status_code < 500, f"{row_id}: {answer.status_code}"
    assert bulkhead.request("GET", f"/{created.json()['id']}").json() == before


def test_a_template_that_renders_a_huge_body_hurts_no_neighbour(bulkhead: Bulkhead) -> None:
    """4 KB of template, each ``{{commits}}`` the event's 60 KB of commits: about 20 MB rendered."""
    commits = [{"id": f"{i:040x}", "message": "m" * 580} for i in range(100)]
    template = "[" + ",".join(["{{commits}}"] * 340) + "]"
    created = _send(bulkhead, "POST", "", {"custom_webhook_template": template})
    assert created.status_code == 201, created.text
    bulkhead.run(push_payload(bulkhead.hostile_project, commits=commits, total_commits_count=len(commits)))
    bulkhead.assert_invariant()
    assert _send(bulkhead, "POST", f"/{created.json()['id']}/test/push_events", {}).status_code in (201, 422)
    assert bulkhead.request("DELETE", f"/{created.json()['id']}").status_code == 204
