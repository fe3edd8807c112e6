import pytest

from hookline.adapters.hook_store import ScopeRoutes
from hookline.domain.branch_filter import BranchFilterStrategy
from hookline.domain.envelope import InvalidEvent, parse_event
from hookline.domain.hooks import RouteEntry
from hookline.services.fan_out import matching_hook_ids

PUSH = {
    "object_kind": "push",
    "ref": "refs/heads/main",
    "project": {"id": 42, "path_with_namespace": "acme/platform/api"},
}


def test_project_scope_keys_cover_id_path_ancestors_listed_groups_and_system() -> None:
    event = parse_event(
        "e1",
        "Push Hook",
        {
            "scope": {"project": {"id": 42, "path": "Acme/Platform/API"}, "groups": [7, {"id": 1, "path": "acme"}]},
            "payload": PUSH,
        },
    )
    assert event.scope.scope_keys() == [
        "project:42",
        "project:acme/platform/api",
        "group:acme",
        "group:acme/platform",
        "group:7",
        "group:1",
        "system",
    ]


def test_group_scope_keys() -> None:
    event = parse_event("e2", "Member Hook", {"scope": {"group": {"id": 7, "path": "acme/platform"}}, "payload": {}})
    assert event.scope.scope_keys() == ["group:7", "group:acme/platform", "group:acme", "system"]


def test_bare_gitlab_payload_with_project_is_accepted() -> None:
    event = parse_event("e3", "Push Hook", PUSH)
    assert event.payload == PUSH
    assert "project:acme/platform/api" in event.scope.scope_keys()


@pytest.mark.parametrize(
    ("detail_type", "detail", "reason"),
    [
        ("Push Hook", {"payload": {}}, "needs a scope"),
        ("Push Hook", "text", "must be a JSON object"),
        ("Nope Hook", {"scope": {"project": {"id": 1}}, "payload": {}}, "unknown detail-type"),
        ("Push Hook", {"scope": {"project": {}}, "payload": {}}, "scope is invalid"),
        ("Push Hook", {"scope": {"project": {"id": 1}, "group": {"id": 2}}, "payload": {}}, "exactly one"),
        ("Push Hook", {"scope": {"project": {"id": 1}}, "payload": []}, "payload must be a JSON object"),
    ],
)
def test_contract_breaches_are_explained(detail_type: str, detail: object, reason: str) -> None:
    with pytest.raises(InvalidEvent, match=reason):
        parse_event("bad", detail_type, detail)


def _entry(*triggers: str, pattern: str | None = None) -> RouteEntry:
    return RouteEntry(
        triggers=frozenset(triggers), branch_filter=pattern, branch_filter_strategy=BranchFilterStrategy.WILDCARD
    )


def test_matching_applies_triggers_and_branch_filter_once_per_hook() -> None:
    event = parse_event(
        "e4", "Push Hook", {"scope": {"project": {"id": 42, "path": "acme/platform/api"}}, "payload": PUSH}
    )
    routes = {
        "project:42": ScopeRoutes("project:42", {1: _entry("push_events"), 2: _entry("tag_push_events")}, None),
        "project:acme/platform/api": ScopeRoutes("p", {3: _entry("push_events", pattern="release/*")}, None),
        "group:acme": ScopeRoutes("g", {4: _entry("push_events", pattern="main")}, None),
        "group:other": ScopeRoutes("o", {5: _entry("push_events")}, None),
        "system": ScopeRoutes("s", {6: _entry("push_events")}, None),
    }
    assert matching_hook_ids(event, routes) == [1, 4, 6]


def test_tag_push_ignores_the_branch_filter() -> None:
    payload = {**PUSH, "ref": "refs/tags/v1"}
    event = parse_event("e5", "Tag Push Hook", {"scope": {"project": {"id": 42}}, "payload": payload})
    entry = RouteEntry(triggers=frozenset({"tag_push_events"}), branch_filter="release/*")
    assert matching_hook_ids(event, {"project:42": ScopeRoutes("p", {9: entry}, None)}) == [9]
