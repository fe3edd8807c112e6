"""Request and response shapes of the GitLab-compatible hooks API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from hookline.domain.branch_filter import BranchFilterStrategy
from hookline.domain.delivery import masked_url
from hookline.domain.events import TRIGGERS_BY_KIND, HookKind
from hookline.domain.hooks import Hook

ALL_TRIGGERS = TRIGGERS_BY_KIND[HookKind.GROUP] + ("repository_update_events",)
TEMPLATE_MAX_LENGTH = 4096


class _TriggerFields(BaseModel):
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
    name: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=2048)
    token: str | None = Field(default=None, max_length=2048)
    enable_ssl_verification: StrictBool | None = None
    push_events_branch_filter: str | None = None
    branch_filter_strategy: BranchFilterStrategy | None = None
    custom_webhook_template: str | None = Field(default=None, max_length=TEMPLATE_MAX_LENGTH)


class HookCreate(HookUpdate):
    """POST: url is required."""

    url: str


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
    alert_status: str
    disabled_until: str | None
    push_events_branch_filter: str | None
    branch_filter_strategy: str
    custom_webhook_template: str | None
    url_variables: list[KeyOnly]
    custom_headers: list[KeyOnly]
    token_present: bool
    signing_token_present: bool


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
            "alert_status": hook.alert_status(now).value,
            "disabled_until": gitlab_time(hook.disabled_until),
            "push_events_branch_filter": hook.push_events_branch_filter,
            "branch_filter_strategy": hook.branch_filter_strategy.value,
            "custom_webhook_template": hook.custom_webhook_template,
            "url_variables": [],
            "custom_headers": [],
            "token_present": bool(hook.token),
            "signing_token_present": False,
        }
    )
    return HookOut.model_validate(body).model_dump()
