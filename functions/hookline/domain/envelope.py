"""The event contract: an EventBridge event's detail-type and detail become an IncomingEvent with its scope."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from hookline.domain.events import EVENT_TYPES_BY_NAME, EventType, HookKind
from hookline.domain.hooks import SYSTEM_SCOPE, ancestor_paths, namespace_key, normalize_path
from hookline.domain.recursion import is_uuid


class InvalidEvent(ValueError):
    """The event breaks the contract; it cannot be delivered and goes to the DLQ with this reason."""


#: GitLab nests groups at most 20 deep; a scope beyond that is a producer's error, not 10,000 routing reads.
MAX_NESTING = 20
#: A path becomes part of DynamoDB keys (2 KB at most): bounded in bytes, with room for the key's prefix.
MAX_PATH_BYTES = 1024
MAX_EVENT_ID_LENGTH = 128
#: The optional ``detail`` field naming the webhook request that caused the event (GitLab's recursion guard).
CHAIN_FIELD = "gitlab_event_uuid"


class NamespaceRef(BaseModel):
    id: int | None = Field(default=None, ge=0, lt=2**63)
    path: str | None = Field(default=None, max_length=MAX_PATH_BYTES)

    @model_validator(mode="after")
    def _needs_id_or_path(self) -> NamespaceRef:
        if self.id is None and not self.path:
            raise ValueError("needs an id or a path")
        return self

    @field_validator("path")
    @classmethod
    def _normalized(cls, value: str | None) -> str | None:
        if value and value.count("/") > MAX_NESTING:
            raise ValueError(f"is nested deeper than {MAX_NESTING} groups")
        if value and len(value.encode("utf-8", "replace")) > MAX_PATH_BYTES:
            raise ValueError(f"is longer than {MAX_PATH_BYTES} bytes")
        return normalize_path(value) if value else None


class Scope(BaseModel):
    """Where an event happened: a project or a group, and optionally the ancestor groups' ids or refs."""

    project: NamespaceRef | None = None
    group: NamespaceRef | None = None
    groups: list[NamespaceRef] = Field(default_factory=list, max_length=MAX_NESTING)

    @field_validator("groups", mode="before")
    @classmethod
    def _ids_or_refs(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"id": item} if isinstance(item, int) else item for item in value]
        return value

    @model_validator(mode="after")
    def _project_or_group(self) -> Scope:
        if (self.project is None) == (self.group is None):
            raise ValueError("scope needs exactly one of project or group")
        return self

    @property
    def namespace(self) -> tuple[HookKind, NamespaceRef]:
        if self.project is not None:
            return HookKind.PROJECT, self.project
        assert self.group is not None
        return HookKind.GROUP, self.group

    def scope_keys(self) -> list[str]:
        """Every scope key whose hooks may want this event, the system scope included, without repeats."""
        kind, ref = self.namespace
        keys = [namespace_key(kind, ref.id)] if ref.id is not None else []
        if ref.path:
            keys.append(namespace_key(kind, ref.path))
            keys.extend(namespace_key(HookKind.GROUP, path) for path in ancestor_paths(ref.path))
        for group in self.groups:
            if group.id is not None:
                keys.append(namespace_key(HookKind.GROUP, group.id))
            if group.path:
                keys.append(namespace_key(HookKind.GROUP, group.path))
        keys.append(SYSTEM_SCOPE)
        return list(dict.fromkeys(keys))


class IncomingEvent(BaseModel):
    event_uuid: str
    event_type: EventType
    scope: Scope
    payload: dict[str, Any]
    chain_uuid: str | None = None  # the X-Gitlab-Event-UUID of the request that caused it, if a producer passed one


def parse_event(event_uuid: str, detail_type: str, detail: Any) -> IncomingEvent:
    """Read the contract: ``{"scope": {...}, "payload": {...}, "gitlab_event_uuid": optional}``, or a bare GitLab
    payload with a ``project``."""
    if len(event_uuid) > MAX_EVENT_ID_LENGTH:
        raise InvalidEvent(f"the event's id is longer than {MAX_EVENT_ID_LENGTH} characters")
    event_type = EVENT_TYPES_BY_NAME.get(detail_type)
    if event_type is None:
        raise InvalidEvent(f"unknown detail-type {detail_type!r}: expected a GitLab event name such as 'Push Hook'")
    if not isinstance(detail, dict):
        raise InvalidEvent("detail must be a JSON object")
    chain_uuid = detail.get(CHAIN_FIELD) if "scope" in detail else None
    if chain_uuid is not None and not is_uuid(chain_uuid):
        raise InvalidEvent(
            f"detail.{CHAIN_FIELD} must be a UUID (the X-Gitlab-Event-UUID of the request that caused it)"
        )
    try:
        if "scope" in detail:
            payload = detail.get("payload")
            if not isinstance(payload, dict):
                raise InvalidEvent("detail.payload must be a JSON object")
            scope = Scope.model_validate(detail["scope"])
        elif isinstance(detail.get("project"), dict):
            project = detail["project"]
            payload = detail
            scope = Scope(project=NamespaceRef(id=project.get("id"), path=project.get("path_with_namespace")))
        else:
            raise InvalidEvent("detail needs a scope (detail.scope.project or detail.scope.group) or a project object")
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "scope"
        raise InvalidEvent(f"detail.scope is invalid: {where}: {first['msg']}") from None
    return IncomingEvent(
        event_uuid=event_uuid,
        event_type=event_type,
        scope=scope,
        payload=payload,
        chain_uuid=chain_uuid.lower() if chain_uuid else None,
    )
