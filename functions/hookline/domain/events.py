"""GitLab's event catalogue: event names, the trigger fields that select them and the log's trigger names."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class HookKind(StrEnum):
    PROJECT = "project"
    GROUP = "group"
    SYSTEM = "system"


@dataclass(frozen=True)
class EventType:
    name: str  # X-Gitlab-Event, and the EventBridge detail-type
    trigger: str  # the hook's boolean field that selects it
    log_trigger: str  # the `trigger` of a log item (GitLab's hook scope name)


EVENT_TYPES: tuple[EventType, ...] = (
    EventType("Push Hook", "push_events", "push_hooks"),
    EventType("Tag Push Hook", "tag_push_events", "tag_push_hooks"),
    EventType("Issue Hook", "issues_events", "issue_hooks"),
    EventType("Confidential Issue Hook", "confidential_issues_events", "confidential_issue_hooks"),
    EventType("Note Hook", "note_events", "note_hooks"),
    EventType("Confidential Note Hook", "confidential_note_events", "confidential_note_hooks"),
    EventType("Merge Request Hook", "merge_requests_events", "merge_request_hooks"),
    EventType("Wiki Page Hook", "wiki_page_events", "wiki_page_hooks"),
    EventType("Pipeline Hook", "pipeline_events", "pipeline_hooks"),
    EventType("Job Hook", "job_events", "job_hooks"),
    EventType("Deployment Hook", "deployment_events", "deployment_hooks"),
    EventType("Feature Flag Hook", "feature_flag_events", "feature_flag_hooks"),
    EventType("Release Hook", "releases_events", "release_hooks"),
    EventType("Milestone Hook", "milestone_events", "milestone_hooks"),
    EventType("Emoji Hook", "emoji_events", "emoji_hooks"),
    EventType("Resource Access Token Hook", "resource_access_token_events", "resource_access_token_hooks"),
    EventType("Resource Deploy Token Hook", "resource_deploy_token_events", "resource_deploy_token_hooks"),
    EventType("Vulnerability Hook", "vulnerability_events", "vulnerability_hooks"),
    EventType("Member Hook", "member_events", "member_hooks"),
    EventType("Subgroup Hook", "subgroup_events", "subgroup_hooks"),
    EventType("Project Hook", "project_events", "project_hooks"),
    EventType("Repository Update Hook", "repository_update_events", "repository_update_hooks"),
)
EVENT_TYPES_BY_NAME = {event.name: event for event in EVENT_TYPES}

SYSTEM_HOOK_EVENT_NAME = "System Hook"
PUSH_HOOK = "Push Hook"

_PROJECT_TRIGGERS = tuple(e.trigger for e in EVENT_TYPES[:18])
TRIGGERS_BY_KIND: dict[HookKind, tuple[str, ...]] = {
    HookKind.PROJECT: _PROJECT_TRIGGERS,
    HookKind.GROUP: (*_PROJECT_TRIGGERS, "member_events", "subgroup_events", "project_events"),
    HookKind.SYSTEM: ("push_events", "tag_push_events", "merge_requests_events", "repository_update_events"),
}
#: GitLab's defaults: push_events is on, every other trigger off.
DEFAULT_TRIGGERS = frozenset({"push_events"})


def header_event_name(kind: HookKind, event: EventType) -> str:
    """The X-Gitlab-Event a hook of this kind is sent: system hooks always say "System Hook"."""
    return SYSTEM_HOOK_EVENT_NAME if kind is HookKind.SYSTEM else event.name
