"""Request and response shapes of the GitLab-compatible hooks API."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, StrictBool, create_model, field_validator

from hookline import settings
from hookline.domain.access import AccessToken, User
from hookline.domain.branch_filter import BranchFilterStrategy
from hookline.domain.delivery import masked_url
from hookline.domain.events import TRIGGERS_BY_KIND, HookKind
from hookline.domain.hooks import MAX_LENGTHS, SECRETS_UNREADABLE, Hook, HookFields
from hookline.domain.log_text import redact_emails

ALL_TRIGGERS = TRIGGERS_BY_KIND[HookKind.GROUP] + ("repository_update_events",)


def _encodable(value: Any) -> Any:
    """Text with an unpaired surrogate (``"\\ud800"`` in JSON) has no UTF-8 form: refused, naming its field."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            raise ValueError("has unpaired surrogates") from None
    return value


class _Text(BaseModel):
    @field_validator("*", mode="after")
    @classmethod
    def _utf8(cls, value: Any) -> Any:
        return _encodable(value)


class KeyValue(_Text):
    """One url variable or custom header as GitLab takes them: ``{"key": ..., "value": ...}``."""

    key: str
    value: str


class ValueBody(_Text):
    """The body of ``PUT …/url_variables/:key`` and ``PUT …/custom_headers/:key``."""

    value: str


class _TriggerFields(_Text):
    """Every trigger boolean GitLab accepts on some kind of hook; each kind keeps its own."""

    model_config = ConfigDict(extra="ignore")

    push_events: StrictBool | None = None
    tag_push_events: StrictBool | None = None
    issues_events: StrictBool | None = None
    confidential_issues_events: StrictBool | None = None
    note_events: StrictBool | None = None
    confidential_note_events: StrictBool | None = None
    merge_requests_events: StrictBool | None = None
    job_events: StrictBool | None = None
    pipeline_events: StrictBool | None = None
    wiki_page_events: StrictBool | None = None
    deployment_events: StrictBool | None = None
    feature_flag_events: StrictBool | None = None
    releases_events: StrictBool | None = None
    milestone_events: StrictBool | None = None
    emoji_events: StrictBool | None = None
    resource_access_token_events: StrictBool | None = None
    resource_deploy_token_events: StrictBool | None = None
    vulnerability_events: StrictBool | None = None
    member_events: StrictBool | None = None
    subgroup_events: StrictBool | None = None
    project_events: StrictBool | None = None
    repository_update_events: StrictBool | None = None

    @field_validator(*ALL_TRIGGERS, "enable_ssl_verification", mode="before", check_fields=False)
    @classmethod
    def _gitlab_booleans(cls, value: Any) -> Any:
        """Grape accepts true/false, 1/0 and their strings."""
        if isinstance(value, str) and value.lower() in ("true", "1", "false", "0"):
            return value.lower() in ("true", "1")
        if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
            return bool(value)
        return value


class HookUpdate(_TriggerFields):
    """PUT: only the fields sent change."""

    url: str | None = None
    name: str | None = Field(default=None, json_schema_extra={"maxLength": MAX_LENGTHS["name"]})
    description: str | None = Field(default=None, json_schema_extra={"maxLength": MAX_LENGTHS["description"]})
    token: str | None = Field(default=None, json_schema_extra={"maxLength": MAX_LENGTHS["token"]})
    signing_token: str | None = Field(default=None, max_length=128)
    enable_ssl_verification: StrictBool | None = None
    concurrency_limit: int | None = Field(
        default=None,
        ge=1,
        le=settings.MAX_HOOK_CONCURRENCY,
        description=(
            "Hookline's: at most this many requests in flight to the hook at once, across all senders "
            f"(default {settings.PER_HOOK_CONCURRENCY})."
        ),
    )
    push_events_branch_filter: str | None = None
    branch_filter_strategy: BranchFilterStrategy | None = None
    custom_webhook_template: str | None = Field(
        default=None, json_schema_extra={"maxLength": MAX_LENGTHS["custom_webhook_template"]}
    )
    url_variables: list[KeyValue] | None = None
    custom_headers: list[KeyValue] | None = None


class HookCreate(HookUpdate):
    """POST: url is required."""

    url: str


def hook_fields(request: HookUpdate) -> HookFields:
    """The fields a request sets, as the service takes them (url variables and custom headers as mappings; a key
    sent twice keeps its last value)."""
    fields: dict[str, Any] = {name: getattr(request, name) for name in request.model_fields_set}
    for name in ("url_variables", "custom_headers"):
        if name in fields:
            fields[name] = {item.key: item.value for item in fields[name] or []}
    return cast(HookFields, fields)  # HookUpdate's fields are HookFields' keys


class RecoverRequest(BaseModel):
    """Re-queue the deliveries parked between ``since`` and ``until`` (default: now)."""

    since: datetime
    until: datetime | None = None


class KeyOnly(BaseModel):
    key: str


class HookOut(BaseModel):
    """The hook object as GitLab answers it; token and signing_token are write-only."""

    model_config = ConfigDict(extra="allow")

    id: int
    url: str
    name: str | None
    description: str | None
    created_at: str
    enable_ssl_verification: bool
    concurrency_limit: int
    alert_status: str
    disabled_until: str | None
    push_events_branch_filter: str | None
    branch_filter_strategy: str
    custom_webhook_template: str | None
    url_variables: list[KeyOnly]
    custom_headers: list[KeyOnly]
    token_present: bool
    signing_token_present: bool
    unreadable: str | None
    unreadable_secrets: bool


def _hook_model(kind: HookKind) -> type[HookOut]:
    """The hook object of one kind: its namespace id (``project_id``, ``group_id``) and its kind's triggers."""
    fields: dict[str, Any] = {}
    if kind is not HookKind.SYSTEM:
        fields[f"{kind.value}_id"] = (int | None, Field(description=f"The {kind.value}'s id (null while unknown)."))
    fields.update({trigger: (bool, ...) for trigger in TRIGGERS_BY_KIND[kind]})
    name = f"{kind.value.capitalize()}Hook"
    return create_model(name, __base__=HookOut, __doc__=f"A {kind.value} hook as GitLab answers it.", **fields)


HOOK_MODELS: dict[HookKind, type[HookOut]] = {kind: _hook_model(kind) for kind in HookKind}


def gitlab_time(moment: datetime | None) -> str | None:
    """GitLab's timestamp format: ``2012-10-12T17:04:47.000Z``."""
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def hook_out(hook: Hook, now: datetime) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": hook.id,
        "url": masked_url(hook.url),
        "name": hook.name,
        "description": hook.description,
        "created_at": gitlab_time(hook.created_at),
    }
    if hook.kind is HookKind.PROJECT:
        body["project_id"] = hook.namespace_id
    elif hook.kind is HookKind.GROUP:
        body["group_id"] = hook.namespace_id
    body.update({trigger: trigger in hook.triggers for trigger in TRIGGERS_BY_KIND[hook.kind]})
    body.update(
        {
            "enable_ssl_verification": hook.enable_ssl_verification,
            "concurrency_limit": hook.concurrency_limit,
            "alert_status": hook.alert_status(now).value,
            "disabled_until": gitlab_time(hook.disabled_until),
            "push_events_branch_filter": hook.push_events_branch_filter,
            "branch_filter_strategy": hook.branch_filter_strategy.value,
            "custom_webhook_template": hook.custom_webhook_template,
            "url_variables": [{"key": key} for key in hook.url_variables],
            "custom_headers": [{"key": key} for key in hook.custom_headers],
            "token_present": bool(hook.token),
            "signing_token_present": bool(hook.signing_token),
            # Hookline's: why the stored hook cannot be used (null when it can); its deliveries fail until a PUT
            "unreadable": hook.unreadable,
            "unreadable_secrets": SECRETS_UNREADABLE in (hook.unreadable or ""),
        }
    )
    return HOOK_MODELS[hook.kind].model_validate(body).model_dump()


class RedirectOut(BaseModel):
    """A redirect answer a delivery went through: its status and its Location (userinfo masked, at most 1 KB)."""

    status: int
    location: str


class EventLogOut(BaseModel):
    """A "Recent events" entry as GitLab's API answers it (``API::Entities::WebHookLog``)."""

    id: int
    url: str
    trigger: str
    request_headers: dict[str, str]
    request_data: Any
    response_headers: dict[str, str]
    response_body: str
    execution_duration: float
    response_status: str
    created_at: str
    redirects: list[RedirectOut] | None = Field(
        None,
        description="Hookline's, present only when there were some: the redirect answers the delivery went through",
    )


class EventLogDetailOut(EventLogOut):
    """One recent event, with Hookline's internal error message (null when the receiver answered)."""

    internal_error_message: str | None


def event_log_out(log: dict[str, Any], payload: str | None, *, details: bool = False) -> dict[str, Any]:
    """The event log object; ``details`` adds the internal error message (Hookline's single-event answer)."""
    data = log.get("request_data", payload)
    try:
        request_data = json.loads(data) if data is not None else None
    except ValueError:
        request_data = data
    request_data = redact_emails(request_data)  # as GitLab logs it; the delivered body keeps them
    body = EventLogOut(
        id=int(log["log_id"]),
        url=log["url"],
        trigger=log["trigger"],
        request_headers=log["request_headers"],
        request_data=request_data,
        response_headers=log["response_headers"],
        response_body=log["response_body"],
        execution_duration=float(log["execution_duration"]),
        response_status=log["response_status"],
        created_at=gitlab_time(datetime.fromisoformat(log["created_at"])) or "",
        redirects=log.get("redirects") or None,
    ).model_dump()
    if body["redirects"] is None:
        del body["redirects"]  # GitLab's shape exactly, for a delivery that was not redirected
    if details:
        body["internal_error_message"] = log.get("internal_error_message")
    return body


class ProjectOut(BaseModel):
    """A project Hookline knows, as a minimal GitLab project object (``id`` is its path while its id is unknown)."""

    id: int | str
    name: str
    path: str
    path_with_namespace: str | None
    web_url: str | None


class GroupOut(BaseModel):
    """A group Hookline knows, as a minimal GitLab group object (``id`` is its path while its id is unknown)."""

    id: int | str
    name: str
    path: str
    full_path: str | None
    web_url: str | None


class MessageOut(BaseModel):
    """GitLab's ``{"message": "201 Created"}``."""

    message: str


class SystemHookTestOut(BaseModel):
    """What a system hook test sends and answers: GitLab's fixed ``project_create`` sample."""

    event_name: str
    name: str
    path: str
    project_id: int
    owner_name: str
    owner_email: str


class SigningTokenOut(BaseModel):
    """The new signing token, shown this once."""

    signing_token: str


class RecoveredOut(BaseModel):
    recovered: int = Field(description="Deliveries queued again by this call (at most 500).")
    remaining: int = Field(description="Parked deliveries in the window still left: call again.")


class ResendOut(BaseModel):
    response_status: int = Field(description="The receiver's status code.")


def namespace_out(kind: HookKind, namespace_id: int | None, path: str | None, instance_url: str) -> dict[str, Any]:
    """A minimal project or group object. A namespace known only by its path has that path as its id."""
    name = path.rsplit("/", 1)[-1] if path else str(namespace_id)
    body: dict[str, Any] = {"id": namespace_id if namespace_id is not None else path, "name": name, "path": name}
    body["path_with_namespace" if kind is HookKind.PROJECT else "full_path"] = path
    body["web_url"] = f"{instance_url.rstrip('/')}/{path}" if path else None
    return body


class AccessTokenCreate(_Text):
    """``POST …/access_tokens``: GitLab's group and project access token parameters (``access_level`` is kept and
    shown: a token manages hooks, whatever its level)."""

    name: str = Field(min_length=1, max_length=255)
    scopes: list[str]
    expires_at: date | None = None
    access_level: Literal[10, 15, 20, 30, 40, 50] = 40  # GitLab's default, Maintainer
    description: str | None = Field(default=None, max_length=255)


class AccessTokenRotate(BaseModel):
    """``POST …/access_tokens/:token_id/rotate``: the new token's expiry (default: a week from today)."""

    expires_at: date | None = None


class AccessTokenOut(BaseModel):
    """A group or project access token as GitLab answers it (``Entities::ResourceAccessToken``); ``token`` only in
    the answer that created (or rotated) it. Hookline does not track use: ``last_used_at`` is null."""

    id: int
    name: str
    description: str | None
    scopes: list[str]
    user_id: int
    access_level: int
    expires_at: str
    revoked: bool
    active: bool
    created_at: str
    last_used_at: str | None = None
    token: str | None = None


def access_token_out(token: AccessToken, now: datetime, value: str | None = None) -> dict[str, Any]:
    body = AccessTokenOut(
        id=token.id,
        name=token.name,
        description=token.description,
        scopes=list(token.scopes),
        user_id=token.bot_user_id,
        access_level=token.access_level,
        expires_at=token.expires_on.isoformat(),
        revoked=token.revoked,
        active=token.active(now),
        created_at=gitlab_time(token.created_at) or "",
        token=value,
    )
    body_dict = body.model_dump()
    if value is None:
        del body_dict["token"]
    return body_dict


class UserOut(BaseModel):
    """``GET /user`` as GitLab answers it (``Entities::UserPublic``; ``is_admin`` too for an administrator,
    ``Entities::UserWithAdmin``)."""

    model_config = ConfigDict(extra="allow")

    id: int
    username: str
    name: str
    state: str
    locked: bool
    avatar_url: str | None
    web_url: str
    created_at: str | None
    bot: bool
    email: str


def user_out(user: User, instance_url: str) -> dict[str, Any]:
    """The user object with GitLab's fields; profile fields a token's user does not have are empty, as GitLab's."""
    body: dict[str, Any] = {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "state": "active",
        "locked": False,
        "avatar_url": None,
        "web_url": f"{instance_url.rstrip('/')}/{user.username}",
        "created_at": gitlab_time(user.created_at),
        "bio": "",
        "location": "",
        "public_email": None,
        "skype": "",
        "linkedin": "",
        "twitter": "",
        "discord": "",
        "website_url": "",
        "organization": "",
        "job_title": "",
        "pronouns": None,
        "bot": user.bot,
        "work_information": None,
        "followers": 0,
        "following": 0,
        "local_time": None,
        "last_sign_in_at": None,
        "confirmed_at": gitlab_time(user.created_at),
        "last_activity_on": None,
        "email": user.email,
        "theme_id": 1,
        "color_scheme_id": 1,
        "projects_limit": 0,
        "current_sign_in_at": None,
        "identities": [],
        "can_create_group": user.is_admin,
        "can_create_project": user.is_admin,
        "two_factor_enabled": False,
        "external": False,
        "private_profile": False,
        "commit_email": user.email,
    }
    if user.is_admin:
        body.update({"is_admin": True, "note": None, "namespace_id": None, "created_by": None})
    return UserOut.model_validate(body).model_dump()


class VersionOut(BaseModel):
    version: str
    revision: str


class KasOut(BaseModel):
    enabled: bool
    externalUrl: str | None  # GitLab's field name
    externalK8sProxyUrl: str | None  # GitLab's field name
    version: str | None


class MetadataOut(VersionOut):
    kas: KasOut
    enterprise: bool


def version_out(version: str) -> dict[str, Any]:
    """``GET /version``: the GitLab release whose behaviour Hookline follows."""
    return {"version": version, "revision": settings.GITLAB_REVISION}


def metadata_out(version: str) -> dict[str, Any]:
    """``GET /metadata`` in GitLab's shape; Hookline has no agent server for Kubernetes."""
    kas = {"enabled": False, "externalUrl": None, "externalK8sProxyUrl": None, "version": None}
    return {**version_out(version), "kas": kas, "enterprise": False}
