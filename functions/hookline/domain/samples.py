"""Sample payloads for hook tests: one per trigger, shaped as GitLab's and built from the hook's own scope."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hookline.domain.events import EVENT_TYPES, EventType, HookKind
from hookline.domain.hooks import Hook

_SHA_BEFORE = "95790bf891e76fee5e1747ab589903a6a1f80f22"
_SHA_AFTER = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
_USER = {"id": 1, "name": "Administrator", "username": "root", "email": "admin@example.com"}

TRIGGER_EVENTS: dict[str, EventType] = {event.trigger: event for event in EVENT_TYPES}


def _project(hook: Hook) -> dict[str, Any]:
    path = hook.namespace_path if hook.kind is HookKind.PROJECT and hook.namespace_path else "hookline/sample"
    project_id = hook.namespace_id if hook.kind is HookKind.PROJECT and hook.namespace_id else 1
    name = path.rsplit("/", 1)[-1]
    return {
        "id": project_id,
        "name": name,
        "path_with_namespace": path,
        "namespace": path.rsplit("/", 1)[0] if "/" in path else path,
        "web_url": f"https://gitlab.example.com/{path}",
        "default_branch": "main",
    }


def sample_payload(hook: Hook, trigger: str, now: datetime) -> dict[str, Any]:
    """A realistic payload for ``trigger`` (object_kind, action, object_attributes, associated objects)."""
    event = TRIGGER_EVENTS[trigger]
    project = _project(hook)
    stamp = now.strftime("%Y-%m-%d %H:%M:%S UTC")
    kind = event.log_trigger.removesuffix("_hooks")
    if trigger in ("push_events", "tag_push_events", "repository_update_events"):
        ref = "refs/tags/v1.0.0" if trigger == "tag_push_events" else "refs/heads/main"
        return {
            "object_kind": "tag_push" if trigger == "tag_push_events" else "push",
            "event_name": "tag_push" if trigger == "tag_push_events" else "push",
            "before": _SHA_BEFORE,
            "after": _SHA_AFTER,
            "ref": ref,
            "user_username": _USER["username"],
            "project_id": project["id"],
            "project": project,
            "commits": [
                {"id": _SHA_AFTER, "message": "Test commit", "timestamp": stamp, "author": {"name": _USER["name"]}}
            ],
            "total_commits_count": 1,
        }
    return {
        "object_kind": kind,
        "event_type": kind,
        "user": _USER,
        "project": project,
        "object_attributes": {"id": 1, "iid": 1, "title": f"Test {event.name}", "action": "open", "created_at": stamp},
    }
