"""Issue 5, acceptance 1: the access matrix, on the local stack with a real loopback receiver.

Principals: the admin, a group token on a parent group, a project token, another tenant's token, an expired token, a
revoked token and no token; operations: list, get, update, events, resend, test, create and delete; targets: project,
group and system hooks. GitLab has no events or resend for system hooks, so those cells do not exist.
Every cell's status is compared with the design; a denied cell also leaves the target exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import gitlab
import httpx
import pytest

from hookline.clock import CLOCK
from hookline.domain.events import TRIGGERS_BY_KIND, HookKind
from infra.local.receiver import Receiver, wait_until
from infra.local.stack import LocalStack

PARENT, GROUP, PROJECT, OTHER = "matrix-acme", "matrix-acme/platform", "matrix-acme/platform/api", "matrix-other"
TARGETS = {"project": f"/projects/{quote(PROJECT, safe='')}/hooks", "group": f"/groups/{quote(GROUP, safe='')}/hooks"}
TARGETS["system"] = "/hooks"
OPERATIONS = ("list", "get", "update", "events", "resend", "test", "create", "delete")
SUCCESS = {"list": 200, "get": 200, "update": 200, "events": 200, "resend": 201, "test": 201, "create": 201}
SUCCESS["delete"] = 204
#: What each principal may manage; a denied cell is 401 without a valid token, 403 on system hooks, 404 elsewhere.
MANAGES = {
    "admin": {"project", "group", "system"},
    "group_token": {"project", "group"},  # made on PARENT: GROUP and PROJECT are below it
    "project_token": {"project"},
    "other_tenant": set(),
    "expired": set(),
    "revoked": set(),
    "no_token": set(),
}
UNAUTHENTICATED = {"expired", "revoked", "no_token"}
DENIALS = {401: "401 Unauthorized", 403: "403 Forbidden", 404: "404 {} Not Found"}
NEVER_FIRES = {trigger: False for trigger in TRIGGERS_BY_KIND[HookKind.SYSTEM]}  # a system hook gets every event


def expected_status(principal: str, target: str, operation: str) -> int:
    if target in MANAGES[principal]:
        return SUCCESS[operation]
    if principal in UNAUTHENTICATED:
        return 401
    return 403 if target == "system" else 404


def denial_body(status: int, target: str) -> dict[str, str]:
    """GitLab's error body; a namespace the principal may not see is as unknown as one that does not exist."""
    return {"message": DENIALS[status].format(target.capitalize())}


def cells(target: str) -> tuple[str, ...]:
    return tuple(op for op in OPERATIONS if target != "system" or op not in ("events", "resend"))


class Api:
    """Plain HTTP against the local stack, as one principal."""

    def __init__(self, stack: LocalStack, token: str | None) -> None:
        self.base = f"{stack.api_url}/api/v4"
        self.headers = {"PRIVATE-TOKEN": token} if token else {}

    def __call__(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return httpx.request(method, f"{self.base}{path}", json=body, headers=self.headers, timeout=30)


def _token(gl: gitlab.Gitlab, manager: Any, name: str, expires_at: str | None = None) -> tuple[int, str]:
    data = {"name": name, "scopes": ["api"], **({"expires_at": expires_at} if expires_at else {})}
    token = manager.access_tokens.create(data)
    return token.id, token.token


@pytest.fixture
def principals(gl: gitlab.Gitlab, running: LocalStack) -> dict[str, Api]:
    """Each principal's client. The expired token is checked to work before its cells move the clock past it."""
    tomorrow = (CLOCK.now().date() + timedelta(days=1)).isoformat()
    parent = gl.groups.get(PARENT, lazy=True)
    _, group_token = _token(gl, parent, "matrix-group")
    _, project_token = _token(gl, gl.projects.get(PROJECT, lazy=True), "matrix-project")
    _, other_token = _token(gl, gl.groups.get(OTHER, lazy=True), "matrix-other")
    _, expiring = _token(gl, parent, "matrix-expiring", tomorrow)
    revoked_id, revoked = _token(gl, parent, "matrix-revoked")
    clients = {
        "admin": Api(running, running.admin_token),
        "group_token": Api(running, group_token),
        "project_token": Api(running, project_token),
        "other_tenant": Api(running, other_token),
        "expired": Api(running, expiring),
        "revoked": Api(running, revoked),
        "no_token": Api(running, None),
    }
    for name in ("expired", "revoked"):  # both work until they are expired or revoked
        assert clients[name]("GET", TARGETS["project"]).status_code == 200, name
    parent.access_tokens.delete(revoked_id)
    return clients


@pytest.fixture
def subjects(running: LocalStack, receiver: Receiver) -> Iterator[dict[tuple[str, str], tuple[int, int | None]]]:
    """One hook per cell row (principal and target), so no hook nears 5 manual sends a minute, each with one logged test
    delivery to resend: (hook id, event id). Every hook made in these namespaces is deleted afterwards."""
    admin = Api(running, running.admin_token)
    made: dict[tuple[str, str], tuple[int, int | None]] = {}
    system_ids: list[int] = []
    try:
        for principal in MANAGES:
            for target, base in TARGETS.items():
                extra = NEVER_FIRES if target == "system" else {}
                created = admin("POST", base, {"url": receiver.url(f"/{principal}/{target}"), **extra})
                assert created.status_code == 201, created.text
                hook_id = created.json()["id"]
                if target == "system":
                    system_ids.append(hook_id)
                    made[principal, target] = (hook_id, None)
                    continue
                assert admin("POST", f"{base}/{hook_id}/test/push_events").status_code == 201
                events = wait_until(lambda b=base, h=hook_id: admin("GET", f"{b}/{h}/events").json())
                made[principal, target] = (hook_id, events[0]["id"])
        yield made
    finally:
        for target in ("project", "group"):
            for hook in admin("GET", f"{TARGETS[target]}?per_page=100").json():
                admin("DELETE", f"{TARGETS[target]}/{hook['id']}")
        for hook_id in system_ids:
            admin("DELETE", f"/hooks/{hook_id}")


def _operation(api: Api, target: str, operation: str, hook_id: int, event_id: int | None) -> httpx.Response:
    base = TARGETS[target]
    hook = f"{base}/{hook_id}"
    test = hook if target == "system" else f"{hook}/test/push_events"  # GitLab's system hook test is POST /hooks/:id
    requests: dict[str, Callable[[], httpx.Response]] = {
        "list": lambda: api("GET", base),
        "get": lambda: api("GET", hook),
        "update": lambda: api("PUT", hook, {"name": f"changed by {api.headers.get('PRIVATE-TOKEN', '')[:6]}"}),
        "events": lambda: api("GET", f"{hook}/events"),
        "resend": lambda: api("POST", f"{hook}/events/{event_id}/resend"),
        "test": lambda: api("POST", test),
        "create": lambda: api("POST", base, {"url": "https://example.invalid/made", **NEVER_FIRES}),
        "delete": lambda: api("DELETE", hook),
    }
    return requests[operation]()


def _state(admin: Api, receiver: Receiver, target: str, hook_id: int) -> dict[str, Any]:
    """Everything a denied cell could change: the target's hooks, the subject's recent events, what was sent."""
    state: dict[str, Any] = {"hooks": admin("GET", f"{TARGETS[target]}?per_page=100").json()}
    if target != "system":
        state["events"] = admin("GET", f"{TARGETS[target]}/{hook_id}/events").json()
    state["sent"] = len(receiver.requests)
    return state


def test_access_matrix(
    running: LocalStack,
    receiver: Receiver,
    principals: dict[str, Api],
    subjects: dict[tuple[str, str], tuple[int, int | None]],
) -> None:
    admin = principals["admin"]
    expected = {(p, t, op): expected_status(p, t, op) for p in MANAGES for t in TARGETS for op in cells(t)}
    actual: dict[tuple[str, str, str], int] = {}
    wrong_bodies: list[tuple[str, str, str, Any]] = []
    changed: list[tuple[str, str]] = []
    for principal, api in principals.items():
        with CLOCK.moved(timedelta(days=1) if principal == "expired" else timedelta(0)):
            for target in TARGETS:
                hook_id, event_id = subjects[principal, target]
                allowed = target in MANAGES[principal]
                before = None if allowed else _state(admin, receiver, target, hook_id)
                for operation in cells(target):
                    answer = _operation(api, target, operation, hook_id, event_id)
                    actual[principal, target, operation] = answer.status_code
                    body = answer.json() if answer.content else None
                    if answer.status_code in DENIALS:
                        if body != denial_body(answer.status_code, target):
                            wrong_bodies.append((principal, target, operation, body))
                    elif operation == "create" and answer.status_code == 201:
                        admin("DELETE", f"{TARGETS[target]}/{body['id']}")
                    elif operation == "resend" and answer.status_code == 201 and body != {"response_status": 200}:
                        wrong_bodies.append((principal, target, operation, body))
                if before is not None and _state(admin, receiver, target, hook_id) != before:
                    changed.append((principal, target))
    assert actual == expected
    assert not wrong_bodies
    assert not changed, "a denied principal changed something"
    # the allowed cells reached the receiver: the setup's test, then the cell's resend and test (a system hook: its test)
    for principal, managed in MANAGES.items():
        for target in managed:
            sends = 1 if target == "system" else 3
            assert len(receiver.to(f"/{principal}/{target}")) == sends, (principal, target)
