"""Hostile API input: no request answers 500, sealed secrets cannot be forged, limits hold under concurrency."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from hookline import settings
from hookline.adapters.aws import dynamodb, to_item
from hookline.adapters.hook_store import HookStore
from hookline.api.errors import gitlab_answer
from hookline.domain.errors import Invalid
from hookline.domain.events import HookKind
from hookline.wiring import hook_admin
from infra.local.stack import LocalStack
from tests.adversarial.neighbours import Bulkhead, api, assert_no_secret

FORGED = "kms1:QUFBQQ==:QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJC"


def _hooks(path: str) -> str:
    return f"/projects/{path.replace('/', '%2F')}/hooks"


def _raw_item(hook_id: int) -> dict[str, Any]:
    key = to_item({"pk": f"HOOK#{hook_id}", "sk": "HOOK"})
    return dynamodb().get_item(TableName=settings.HOOKS_TABLE.name, Key=key, ConsistentRead=True)["Item"]


def _every_read_and_write(bulkhead: Bulkhead, hook_id: int) -> None:
    """GET, list, PUT, test, another create in the project and DELETE all answer below 500."""
    assert bulkhead.request("GET", f"/{hook_id}").status_code == 200
    assert hook_id in [hook["id"] for hook in bulkhead.request("GET", "").json()]
    assert bulkhead.request("PUT", f"/{hook_id}", json={"name": "renamed"}).status_code == 200
    assert bulkhead.request("POST", f"/{hook_id}/test/push_events").status_code in (201, 422)
    other = bulkhead.hostile_hook(url=bulkhead.receiver.url("/another"))
    assert other.status_code == 201
    assert bulkhead.request("DELETE", f"/{other.json()['id']}").status_code == 204


# --- (2) sealed secrets cannot be forged ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"token": FORGED}, id="token"),
        pytest.param({"custom_headers": [{"key": "X-Forged", "value": FORGED}]}, id="custom-header"),
        pytest.param({"url": "{base}/{v}", "url_variables": [{"key": "v", "value": FORGED[:100]}]}, id="url-variable"),
    ],
)
def test_a_value_that_looks_sealed_is_sealed_like_any_other(bulkhead: Bulkhead, fields: dict[str, Any]) -> None:
    if "url" in fields:
        fields = {**fields, "url": fields["url"].format(base=bulkhead.receiver.url(bulkhead.hostile_path), v="{v}")}
    created = bulkhead.hostile_hook(**fields)
    assert created.status_code == 201, created.text
    hook_id = created.json()["id"]
    stored = repr(_raw_item(hook_id))
    assert "kms1:" not in stored  # no stored string is ever taken for a sealed value
    bulkhead.run()
    bulkhead.assert_invariant()
    hook = HookStore().get(hook_id)
    assert hook is not None and hook.unreadable is None
    assert FORGED in (hook.token, *hook.custom_headers.values()) or hook.url_variables == {"v": FORGED[:100]}
    _every_read_and_write(bulkhead, hook_id)
    assert bulkhead.request("DELETE", f"/{hook_id}").status_code == 204
    for answer in bulkhead.answers:
        assert_no_secret(FORGED, answer.text)


def test_the_urls_basic_auth_password_is_sealed_at_rest(bulkhead: Bulkhead) -> None:
    url = bulkhead.receiver.url(bulkhead.hostile_path).replace("://", "://deploy:pa55-w0rd-at-rest@")
    created = bulkhead.hostile_hook(url=url)
    assert created.status_code == 201, created.text
    assert "pa55-w0rd-at-rest" not in repr(_raw_item(created.json()["id"]))
    hook = HookStore().get(created.json()["id"])
    assert hook is not None and hook.url == url
    bulkhead.run()
    bulkhead.assert_invariant()
    (arrived,) = bulkhead.receiver.to(bulkhead.hostile_path)
    assert arrived.headers["Authorization"].startswith("Basic ")
    assert_no_secret("pa55-w0rd-at-rest", created.text, json.dumps(bulkhead.hostile_logs(created.json()["id"])))


# --- a stored hook that cannot be read -------------------------------------------------------------------------------
CORRUPTIONS = [
    pytest.param({"token": {"B": b"\x01not a sealed value"}}, True, id="token-not-openable"),
    pytest.param({"token": {"S": FORGED}}, True, id="token-forged-before-the-fix"),
    pytest.param({"custom_headers": {"M": {"X-Key": {"B": b"\x01garbage"}}}}, True, id="header-not-openable"),
    pytest.param({"created_at": {"S": "not a date"}}, False, id="created-at-invalid"),
    pytest.param({"custom_headers": {"S": "not a map"}}, False, id="headers-not-a-map"),
    pytest.param({"kind": {"S": "bogus"}, "triggers": {"N": "5"}}, False, id="kind-and-triggers-invalid"),
]


@pytest.mark.parametrize(("corruption", "secret"), CORRUPTIONS)
def test_an_unreadable_hook_is_shown_repaired_deleted_and_hurts_no_neighbour(
    bulkhead: Bulkhead, corruption: dict[str, Any], secret: bool
) -> None:
    created = bulkhead.hostile_hook(token="a-token-to-lose", custom_headers=[{"key": "X-Key", "value": "hv-secret"}])
    hook_id = created.json()["id"]
    dynamodb().put_item(TableName=settings.HOOKS_TABLE.name, Item={**_raw_item(hook_id), **corruption})

    hook = HookStore().get(hook_id)
    assert hook is not None and hook.unreadable
    assert "a-token-to-lose" not in hook.unreadable and "hv-secret" not in hook.unreadable
    assert HookStore().get_many([hook_id])[hook_id].unreadable == hook.unreadable
    shown = bulkhead.request("GET", f"/{hook_id}").json()
    assert shown["unreadable"] == hook.unreadable and shown["unreadable_secrets"] is secret
    assert [listed["unreadable"] for listed in bulkhead.request("GET", "").json()] == [hook.unreadable]

    bulkhead.run()
    bulkhead.assert_invariant()
    assert bulkhead.request("POST", f"/{hook_id}/test/push_events").status_code in (201, 422)
    other = bulkhead.hostile_hook(url=bulkhead.receiver.url("/another"))
    assert other.status_code == 201

    repaired = bulkhead.request(
        "PUT", f"/{hook_id}", json={"token": "new-token", "custom_headers": [{"key": "X-Key", "value": "new-hv"}]}
    )
    assert repaired.status_code == 200, repaired.text
    assert (repaired.json()["unreadable"], repaired.json()["unreadable_secrets"]) == (None, False)
    assert repaired.json()["token_present"] is True
    again = HookStore().get(hook_id)
    assert again is not None and again.unreadable is None and again.token == "new-token"
    assert bulkhead.request("DELETE", f"/{hook_id}").status_code == 204
    assert bulkhead.request("GET", f"/{hook_id}").status_code == 404
    for answer in bulkhead.answers:
        assert_no_secret("a-token-to-lose", answer.text)
        assert_no_secret("hv-secret", answer.text)


def test_a_corrupt_hook_can_be_deleted_without_repair(bulkhead: Bulkhead) -> None:
    hook_id = bulkhead.hostile_hook().json()["id"]
    item = {key: value for key, value in _raw_item(hook_id).items() if key in ("pk", "sk", "scope_key", "hook_id")}
    dynamodb().put_item(TableName=settings.HOOKS_TABLE.name, Item=item)  # everything else gone
    assert bulkhead.request("GET", f"/{hook_id}").json()["unreadable"]
    assert bulkhead.request("DELETE", f"/{hook_id}").status_code == 204
    assert bulkhead.request("GET", "").json() == []


# --- (5) a change of the interpolated URL resets the token and the custom headers ------------------------------------
SECRETS = {"token": "tok-secret", "custom_headers": [{"key": "X-Key", "value": "header-secret"}]}


def _variable_hook(stack: LocalStack) -> tuple[httpx.Client, str]:
    client = api(stack)
    base = _hooks(f"interp/{uuid.uuid4().hex[:8]}")
    answer = client.post(
        base,
        json={
            "url": "https://example.invalid/{tenant}",
            "url_variables": [{"key": "tenant", "value": "one"}, {"key": "unused", "value": "x"}],
            **SECRETS,
        },
    )
    assert answer.status_code == 201, answer.text
    return client, f"{base}/{answer.json()['id']}"


def _kept(client: httpx.Client, hook: str) -> tuple[bool, list[dict[str, str]]]:
    body = client.get(hook).json()
    return body["token_present"], body["custom_headers"]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(("PUT", "", {"url_variables": [{"key": "tenant", "value": "two"}]}), id="put-hook"),
        pytest.param(("PUT", "/url_variables/tenant", {"value": "two"}), id="put-variable"),
    ],
)
def test_a_new_interpolated_url_resets_the_token_and_custom_headers(
    stack: LocalStack, change: tuple[str, str, dict[str, Any]]
) -> None:
    client, hook = _variable_hook(stack)
    method, path, body = change
    assert client.request(method, hook + path, json=body).status_code in (200, 204)
    assert _kept(client, hook) == (False, [])
    variables = HookStore().get(int(hook.rsplit("/", 1)[1]))
    assert variables is not None and variables.url_variables["tenant"] == "two"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(("PUT", "", {"url_variables": [{"key": "tenant", "value": "one"}]}), id="same-value"),
        pytest.param(("PUT", "/url_variables/unused", {"value": "y"}), id="unused-variable"),
        pytest.param(("DELETE", "/url_variables/unused", None), id="delete-unused"),
        pytest.param(("PUT", "", {"url_variables": [{"key": "tenant", "value": "two"}], **SECRETS}), id="new-secrets"),
    ],
)
def test_the_same_interpolated_url_keeps_them(stack: LocalStack, change: tuple[str, str, dict[str, Any]]) -> None:
    client, hook = _variable_hook(stack)
    method, path, body = change
    assert client.request(method, hook + path, json=body).status_code in (200, 204)
    assert _kept(client, hook) == (True, [{"key": "X-Key"}])


# --- (8) hop-by-hop and framing headers ------------------------------------------------------------------------------
HOP_BY_HOP = ["Host", "content-length", "Transfer-Encoding", "CONNECTION", "Upgrade", "TE", "Trailer", "Expect"]


@pytest.mark.parametrize(
    "name", [*HOP_BY_HOP, "Keep-Alive", "Proxy-Authorization", "proxy-connection", "Content_Length"]
)
def test_hop_by_hop_headers_cannot_be_custom_headers(stack: LocalStack, name: str) -> None:
    client = api(stack)
    base = _hooks(f"hop/{uuid.uuid4().hex[:8]}")
    refused = client.post(
        base, json={"url": "https://example.invalid/", "custom_headers": [{"key": name, "value": "1"}]}
    )
    assert refused.status_code == 422 and "custom_headers" in refused.json()["message"], refused.text
    hook = client.post(base, json={"url": "https://example.invalid/"}).json()["id"]
    one = client.put(f"{base}/{hook}/custom_headers/{name}", json={"value": "1"})
    assert one.status_code == 422 and "custom_headers" in one.json()["message"], one.text
    assert client.get(f"{base}/{hook}").json()["custom_headers"] == []


# --- (10) limits under concurrency -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("collection", "limit"), [("projects", settings.MAX_PROJECT_HOOKS), ("groups", settings.MAX_GROUP_HOOKS)]
)
def test_parallel_creates_never_pass_the_limit(stack: LocalStack, collection: str, limit: int) -> None:
    base = f"/{collection}/par%2F{uuid.uuid4().hex[:8]}/hooks"
    attempts = limit + 10

    def create(index: int) -> int:
        with api(stack) as client:
            return client.post(base, json={"url": f"https://example.invalid/{index}"}, timeout=120).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(create, range(attempts)))
    assert sorted(set(statuses)) == [201, 422]
    assert statuses.count(201) == limit
    client = api(stack)
    listed = client.get(base, params={"per_page": 100}).json()
    assert len(listed) == limit
    # a delete makes room for exactly one more
    assert client.delete(f"{base}/{listed[0]['id']}").status_code == 204
    assert client.post(base, json={"url": "https://example.invalid/again"}).status_code == 201
    assert client.post(base, json={"url": "https://example.invalid/over"}).status_code == 422


# --- (10) requests that answered 500 ---------------------------------------------------------------------------------
def _no_500(answer: httpx.Response, *allowed: int) -> None:
    assert answer.status_code in allowed, f"{answer.status_code} {answer.text[:200]}"
    assert answer.headers["Content-Type"] == "application/json"


def test_a_deeply_nested_body_is_refused(stack: LocalStack) -> None:
    body = '{"url": "https://example.invalid/", "x": ' + "[" * 50_000 + "]" * 50_000 + "}"
    answer = api(stack).post(_hooks("deep/nest"), content=body, headers={"Content-Type": "application/json"})
    _no_500(answer, 400)


def test_an_access_level_of_5000_digits_is_refused(stack: LocalStack) -> None:
    body = '{"name": "n", "scopes": ["api"], "access_level": ' + "9" * 5000 + "}"
    path = "/projects/digits%2Fp/access_tokens"
    _no_500(api(stack).post(path, content=body, headers={"Content-Type": "application/json"}), 400, 422)


def test_a_900_kb_url_is_refused_naming_the_field(stack: LocalStack) -> None:
    client = api(stack)
    answer = client.post(_hooks("huge/url"), json={"url": "https://example.invalid/" + "a" * 900_000})
    _no_500(answer, 422)
    assert "url" in answer.text
    hook = client.post(_hooks("huge/url"), json={"url": "https://example.invalid/"}).json()["id"]
    update = client.put(f"{_hooks('huge/url')}/{hook}", json={"url": "https://example.invalid/" + "a" * 900_000})
    _no_500(update, 422)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/projects/" + "9" * 41 + "/hooks"),
        ("POST", "/projects/" + "9" * 41 + "/hooks"),
        ("GET", "/groups/" + "9" * 41),
        ("GET", "/projects/ids%2Fbig/hooks/" + "9" * 41),
        ("PUT", "/projects/ids%2Fbig/hooks/" + "9" * 41),
        ("DELETE", "/projects/ids%2Fbig/hooks/" + "9" * 41),
        ("GET", "/projects/ids%2Fbig/hooks/1/events/" + "9" * 41),
        ("DELETE", "/projects/ids%2Fbig/access_tokens/" + "9" * 41),
        ("GET", "/projects/ids%2Fbig/hooks?page=" + "9" * 41),
        ("GET", "/projects/ids%2Fbig/hooks?per_page=" + "9" * 5000),
    ],
)
def test_huge_ids_are_not_found(stack: LocalStack, method: str, path: str) -> None:
    client = api(stack)
    client.post(_hooks("ids/big"), json={"url": "https://example.invalid/"})
    body = {"url": "https://example.invalid/"} if method in ("POST", "PUT") else None
    _no_500(client.request(method, path, json=body), 200, 400, 404)


def test_a_namespace_whose_filters_outgrow_its_routing_item_is_refused_not_broken(stack: LocalStack) -> None:
    """100 hooks with 4000-character filters pass DynamoDB's 400 KB for the routing item: a 422 naming the filter."""
    admin = hook_admin()
    namespace = admin.namespace(HookKind.PROJECT, f"filters%2F{uuid.uuid4().hex[:8]}", creating=True)
    statuses = []
    for index in range(settings.MAX_PROJECT_HOOKS):
        pattern = f"{index:04d}" + "b" * 3996
        try:
            admin.create(namespace, {"url": "https://example.invalid/", "push_events_branch_filter": pattern})
            statuses.append(201)
        except Invalid as error:
            status, body, _ = gitlab_answer(error)
            assert (status, list(body["message"])) == (422, ["push_events_branch_filter"])
            statuses.append(status)
    assert 422 in statuses
    hooks = admin.list(namespace)
    assert len(hooks) == statuses.count(201)
    assert all(hook.unreadable is None for hook in hooks)
    admin.delete(namespace, hooks[0].id)
    admin.create(namespace, {"url": "https://example.invalid/", "push_events_branch_filter": "short"})


ODD_SEGMENTS = ["0", "-1", "1.5", "1e3", "%00", "%0d%0a", "%ED%A0%80", "%F0%9F%98%80", "a" * 3000, "9" * 41, "%2e%2e",
                "kms1:x", "%5BREDACTED%5D", "{v}", "%25", "%2F"]  # fmt: skip


def test_odd_path_segments_never_answer_500(stack: LocalStack) -> None:
    client = api(stack)
    ns = "odd%2Fsegments"
    hook = client.post(f"/projects/{ns}/hooks", json={"url": "https://example.invalid/"}).json()["id"]
    templates = [
        ("GET", "/projects/{x}/hooks"),
        ("GET", "/groups/{x}"),
        ("GET", f"/projects/{ns}/hooks/{{x}}"),
        ("PUT", f"/projects/{ns}/hooks/{{x}}"),
        ("DELETE", f"/projects/{ns}/hooks/{{x}}"),
        ("POST", f"/projects/{ns}/hooks/{hook}/test/{{x}}"),
        ("GET", f"/projects/{ns}/hooks/{hook}/events/{{x}}"),
        ("POST", f"/projects/{ns}/hooks/{hook}/events/{{x}}/resend"),
        ("PUT", f"/projects/{ns}/hooks/{hook}/url_variables/{{x}}"),
        ("DELETE", f"/projects/{ns}/hooks/{hook}/custom_headers/{{x}}"),
        ("DELETE", f"/projects/{ns}/access_tokens/{{x}}"),
        ("GET", f"/projects/{ns}/hooks/{hook}/events?status={{x}}"),
        ("GET", f"/projects/{ns}/hooks?page={{x}}&per_page={{x}}"),
    ]
    failures = []
    for method, template in templates:
        for segment in ODD_SEGMENTS:
            path = template.replace("{x}", segment)
            body = {"url": "https://example.invalid/", "value": "v"} if method in ("POST", "PUT") else None
            answer = client.request(method, path, json=body)
            json_answer = answer.status_code == 204 or answer.headers.get("Content-Type") == "application/json"
            if answer.status_code >= 500 or not json_answer:
                failures.append(f"{method} {path[:80]}: {answer.status_code}")
    assert failures == []
    assert client.get(f"/projects/{ns}/hooks/{hook}").status_code == 200


def test_the_url_as_shown_sent_back_keeps_the_password_and_the_secrets(stack: LocalStack) -> None:
    client = api(stack)
    base = _hooks(f"shown/{uuid.uuid4().hex[:8]}")
    url = "https://deploy:shown-pa55word@example.invalid/hook"
    created = client.post(base, json={"url": url, **SECRETS}).json()
    assert created["url"] == "https://[REDACTED]@example.invalid/hook"
    again = client.put(f"{base}/{created['id']}", json={"url": created["url"], "name": "renamed"})
    assert (again.json()["token_present"], again.json()["custom_headers"]) == (True, [{"key": "X-Key"}])
    stored = HookStore().get(created["id"])
    assert stored is not None and stored.url == url
