"""Hooks, the scopes they are registered on, and the compact routing entry fan-out reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from hookline.domain.branch_filter import BranchFilterStrategy, branch_matches, branch_name
from hookline.domain.events import PUSH_HOOK, EventType, HookKind
from hookline.domain.hook_state import AlertStatus, HookState, alert_status

SYSTEM_SCOPE = "system"


def normalize_path(path: str) -> str:
    """GitLab full paths are looked up case-insensitively, without surrounding slashes."""
    return path.strip("/").lower()


def namespace_key(kind: HookKind, ref: int | str) -> str:
    """The scope key of a project or group, by numeric id or by full path (``project:42``, ``group:acme``)."""
    if kind is HookKind.SYSTEM:
        return SYSTEM_SCOPE
    value = str(ref) if isinstance(ref, int) else normalize_path(ref)
    return f"{kind.value}:{value}"


def ancestor_paths(full_path: str) -> list[str]:
    """The full paths of every group above ``full_path``: ``a/b/c`` gives ``a`` and ``a/b``."""
    parts = normalize_path(full_path).split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


class RouteEntry(BaseModel):
    """What fan-out needs to know of a hook: its enabled triggers and its push branch filter."""

    triggers: frozenset[str]
    branch_filter: str | None = None
    branch_filter_strategy: BranchFilterStrategy = BranchFilterStrategy.WILDCARD

    def wants(self, event: EventType, payload: dict[str, Any]) -> bool:
        if event.trigger not in self.triggers:
            return False
        if event.name == PUSH_HOOK:
            ref = payload.get("ref")
            branch = branch_name(ref) if isinstance(ref, str) else ""
            return branch_matches(self.branch_filter_strategy, self.branch_filter, branch)
        return True


class Hook(BaseModel):
    """A webhook's configuration together with its failure state."""

    id: int
    kind: HookKind
    scope_key: str
    namespace_id: int | None = None
    namespace_path: str | None = None
    url: str
    name: str | None = None
    description: str | None = None
    token: str | None = None
    triggers: frozenset[str] = Field(default_factory=frozenset)
    push_events_branch_filter: str | None = None
    branch_filter_strategy: BranchFilterStrategy = BranchFilterStrategy.WILDCARD
    enable_ssl_verification: bool = True
    custom_webhook_template: str | None = None
    recent_failures: int = 0
    disabled_until: datetime | None = None
    created_at: datetime

    @property
    def state(self) -> HookState:
        return HookState(self.recent_failures, self.disabled_until)

    def alert_status(self, now: datetime) -> AlertStatus:
        if self.kind is HookKind.SYSTEM:
            return AlertStatus.EXECUTABLE
        return alert_status(self.state, now)

    def route_entry(self) -> RouteEntry:
        return RouteEntry(
            triggers=self.triggers,
            branch_filter=self.push_events_branch_filter,
            branch_filter_strategy=self.branch_filter_strategy,
        )
