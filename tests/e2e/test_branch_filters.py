"""The push branch filter table end to end: pushes on the local bus, delivered (or not) to a real receiver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gitlab
import pytest

from infra.local.receiver import Receiver
from infra.local.stack import LocalStack
from tests.e2e.test_core_path import _put_event, _wait_for_empty_queues

PROJECT = "filters/svc"
#: receiver path -> the hook's filter fields
FILTERS: dict[str, dict[str, Any]] = {
    "/stable": {"push_events_branch_filter": "*-stable"},
    "/production": {"push_events_branch_filter": "production/*"},
    "/exact": {"push_events_branch_filter": "main"},
    "/literal": {"push_events_branch_filter": "release-(1.x)+"},  # ( ) . + are literal characters
    "/regex": {"push_events_branch_filter": "main", "branch_filter_strategy": "regex"},
    "/all": {"push_events_branch_filter": "main", "branch_filter_strategy": "all_branches"},
    "/tags": {"push_events_branch_filter": "*-stable", "push_events": False, "tag_push_events": True},
}
#: branch pushed -> the hooks that get it
PUSHES: dict[str, set[str]] = {
    "12-stable": {"/stable", "/all"},
    "stable": {"/all"},
    "team/x-stable": {"/stable", "/all"},  # * spans "/"
    "production/eu/west": {"/production", "/all"},
    "production": {"/all"},
    "main": {"/exact", "/regex", "/all"},
    "domain": {"/regex", "/all"},  # regex is unanchored
    "mainline": {"/regex", "/all"},
    "Main": {"/all"},
    "release-(1.x)+": {"/literal", "/all"},
    "release-11x": {"/all"},
}
TAG = "refs/tags/v1.0.0"


@pytest.fixture
def filtered_hooks(gl: gitlab.Gitlab, receiver: Receiver) -> Iterator[dict[str, Any]]:
    hooks = gl.projects.get(PROJECT, lazy=True).hooks
    made = {path: hooks.create({"url": receiver.url(path), **fields}) for path, fields in FILTERS.items()}
    yield made
    for hook in made.values():
        hook.delete()


def test_pushes_reach_exactly_the_hooks_whose_filter_matches_and_tag_pushes_ignore_it(
    running: LocalStack, receiver: Receiver, filtered_hooks: dict[str, Any]
) -> None:
    assert filtered_hooks["/all"].push_events_branch_filter is None  # all_branches drops the filter
    for branch in PUSHES:
        _push(running, "Push Hook", {"object_kind": "push", "ref": f"refs/heads/{branch}"})
    _push(running, "Tag Push Hook", {"object_kind": "tag_push", "ref": TAG})
    wanted = {(path, f"refs/heads/{branch}") for branch, paths in PUSHES.items() for path in paths}
    wanted.add(("/tags", TAG))

    receiver.wait_for(lambda requests: wanted <= {(r.path, r.json["ref"]) for r in requests})
    _wait_for_empty_queues(running)  # every delivery the fan-out queued has been sent
    assert sorted((r.path, r.json["ref"]) for r in receiver.requests) == sorted(wanted)


def test_a_regex_re2_rejects_is_refused_at_save_time_naming_the_field(
    gl: gitlab.Gitlab, filtered_hooks: dict[str, Any]
) -> None:
    hooks = gl.projects.get(PROJECT, lazy=True).hooks
    with pytest.raises(gitlab.GitlabCreateError) as created:
        hooks.create(
            {
                "url": "https://example.invalid/f",
                "branch_filter_strategy": "regex",
                "push_events_branch_filter": "^(?!wip)",
            }
        )
    assert created.value.response_code == 400
    assert str(created.value.error_message).startswith(
        "push_events_branch_filter is not a valid RE2 regular expression"
    )

    # switching the strategy to regex validates the filter already saved: "*-stable" is no regex
    hook = filtered_hooks["/stable"]
    hook.branch_filter_strategy = "regex"
    with pytest.raises(gitlab.GitlabUpdateError) as updated:
        hook.save()
    assert updated.value.response_code == 400
    assert "push_events_branch_filter" in str(updated.value.error_message)
    assert hooks.get(hook.id).branch_filter_strategy == "wildcard"


def _push(stack: LocalStack, detail_type: str, payload: dict[str, Any]) -> None:
    project = {"id": 777, "path_with_namespace": PROJECT}
    _put_event(
        stack, detail_type, {"scope": {"project": {"path": PROJECT}}, "payload": {**payload, "project": project}}
    )
