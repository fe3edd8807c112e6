"""Hooks, the scopes they are registered on, and the compact routing entry fan-out reads."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, TypedDict

from pydantic import BaseModel, Field

from hookline import settings
from hookline.domain.branch_filter import BranchFilterStrategy, branch_matches, branch_name
from hookline.domain.errors import Invalid
from hookline.domain.events import PUSH_HOOK, EventType, HookKind
from hookline.domain.hook_state import AlertStatus, HookState, alert_status
from hookline.domain.templates import TEMPLATE_MAX_LENGTH

SYSTEM_SCOPE = "system"
SIGNING_ROTATION = timedelta(hours=24)
MAX_URL_VARIABLES = 20
MAX_CUSTOM_HEADERS = 20
#: Hookline's caps where GitLab has none: the URL (its template), a url variable's key, a custom header's name.
MAX_URL_LENGTH = 2048
MAX_URL_VARIABLE_KEY_LENGTH = 100
MAX_CUSTOM_HEADER_NAME_LENGTH = 128
URL_VARIABLE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CUSTOM_HEADER_NAME = re.compile(r"^[A-Za-z]+[0-9]*(?:[._-][A-Za-z0-9]+)*$")
_URL_PLACEHOLDER = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)}")
INVALID_SCHEMA = "must be a valid json schema"
#: C0 controls, DEL and C1 controls: refused in every value that becomes part of a request line or a header.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: A header value (custom header, token): printable ASCII and inner spaces only.
_HEADER_VALUE = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$")
#: Hop-by-hop and framing headers, which only the HTTP client may set (``Proxy-*`` too, and ``Proxy``: httpoxy).
FRAMING_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer", "expect", "keep-alive"}
)
#: GitLab's model validations of the free-text fields (422 ``is too long (maximum is N characters)``).
MAX_LENGTHS = {"name": 255, "description": 2048, "token": 2048, "custom_webhook_template": TEMPLATE_MAX_LENGTH}
#: Why a stored hook cannot be used (``Hook.unreadable`` starts with one of these, then names fields, never values).
SECRETS_UNREADABLE = "secrets cannot be opened"
ITEM_INVALID = "stored fields are invalid"


class InvalidHookField(Invalid, ValueError):
    """A field breaks GitLab's model validation; answered as ``{"message": {field: [message]}}``."""


def has_control_character(text: str) -> bool:
    return _CONTROL.search(text) is not None


def is_framing_header(name: str) -> bool:
    """``Host``, ``Content-Length``, ``Connection``, ``Proxy-*`` and the like, in any case; ``_`` and ``.`` count as
    ``-``, as some servers read them."""
    normal = re.sub(r"[._]", "-", name.lower())
    return normal in FRAMING_HEADERS or normal == "proxy" or normal.startswith("proxy-")


def header_value_problem(value: str) -> str | None:
    """Why ``value`` cannot be sent as a header value (token, custom header), or None."""
    if has_control_character(value):
        return "must not contain control characters"
    if value != value.strip() or value[:1] in " \t" or value[-1:] in " \t":
        return "must not start or end with whitespace"
    if not _HEADER_VALUE.match(value):
        return "must be printable ASCII"
    return None


def _check_pairs(
    field: str, pairs: dict[str, str], limit: int, name: re.Pattern[str], max_name: int, max_value: int
) -> dict[str, str]:
    if len(pairs) > limit or any(
        not name.match(key) or len(key) > max_name or not 1 <= len(value) <= max_value for key, value in pairs.items()
    ):
        raise InvalidHookField(field, INVALID_SCHEMA)
    return pairs


def check_url_variables(variables: dict[str, str]) -> dict[str, str]:
    """At most 20; keys ``^[A-Za-z_][A-Za-z0-9_]*$`` (at most 100 characters); values 1 to 100 characters (GitLab's
    JSON schema) with no control character."""
    _check_pairs("url_variables", variables, MAX_URL_VARIABLES, URL_VARIABLE_KEY, MAX_URL_VARIABLE_KEY_LENGTH, 100)
    for key, value in variables.items():
        if has_control_character(value):
            raise InvalidHookField("url_variables", f'value of "{key}" must not contain control characters')
    return variables


def check_custom_headers(headers: dict[str, str]) -> dict[str, str]:
    """At most 20; names ``^[A-Za-z]+[0-9]*(?:[._-][A-Za-z0-9]+)*$`` (at most 128 characters, no hop-by-hop or framing
    header); values 1 to 2048 characters a header can carry as they are."""
    _check_pairs("custom_headers", headers, MAX_CUSTOM_HEADERS, CUSTOM_HEADER_NAME, MAX_CUSTOM_HEADER_NAME_LENGTH, 2048)
    for key, value in headers.items():
        if is_framing_header(key):
            raise InvalidHookField("custom_headers", f'"{key}" is set by the HTTP client and cannot be a custom header')
        problem = header_value_problem(value)
        if problem:
            raise InvalidHookField("custom_headers", f'value of "{key}" {problem}')
    return headers


def check_token(token: str) -> str:
    """The secret token goes out as ``X-Gitlab-Token``: a value a header can carry as it is."""
    if "\n" in token:
        raise InvalidHookField("token", "is invalid")  # GitLab's own rule and wording
    problem = header_value_problem(token)
    if problem:
        raise InvalidHookField("token", problem)
    return token


def check_url_text(url: str) -> str:
    """At most 2048 characters, none of them a control character (``InvalidHookField`` names ``url``)."""
    if len(url) > MAX_URL_LENGTH:
        raise InvalidHookField("url", f"is too long (maximum is {MAX_URL_LENGTH} characters)")
    if has_control_character(url):
        raise InvalidHookField("url", "must not contain control characters")
    return url


class UrlTemplateError(ValueError):
    """The URL names a ``{key}`` no url variable fills."""


def missing_url_keys(url: str, variables: dict[str, str]) -> list[str]:
    return list(dict.fromkeys(key for key in _URL_PLACEHOLDER.findall(url) if key not in variables))


def missing_keys_message(missing: list[str]) -> str:
    return "Invalid URL template. Missing keys: [" + ", ".join(f'"{key}"' for key in missing) + "]"


def interpolated_url(url: str, variables: dict[str, str]) -> str:
    """The URL with each ``{key}`` filled from the hook's url variables."""
    missing = missing_url_keys(url, variables)
    if missing:
        raise UrlTemplateError(missing_keys_message(missing))
    return _URL_PLACEHOLDER.sub(lambda match: variables[match.group(1)], url)


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
    signing_token: str | None = None  # Standard Webhooks key, whsec_…; write-only
    previous_signing_token: str | None = None  # still signs until previous_signing_token_until (rotation)
    previous_signing_token_until: datetime | None = None
    #: At most this many requests in flight to the hook at once, across all senders (Hookline's).
    concurrency_limit: int = Field(default=settings.PER_HOOK_CONCURRENCY, ge=1, le=settings.MAX_HOOK_CONCURRENCY)
    url_variables: dict[str, str] = Field(default_factory=dict)  # never returned nor logged
    custom_headers: dict[str, str] = Field(default_factory=dict)  # values never returned; logged redacted
    recent_failures: int = 0
    disabled_until: datetime | None = None
    created_at: datetime
    #: Why the stored hook cannot be used, when it cannot (a corrupt item, a secret that cannot be opened). Never
    #: stored: the store sets it on read. Its deliveries fail with this reason; the API still shows, updates and
    #: deletes it.
    unreadable: str | None = None

    def top_level_namespace(self) -> str | None:
        """The namespace rate limits count against: the first segment of its path (or its key, when only the id is
        known); None for system hooks, which are never limited."""
        if self.kind is HookKind.SYSTEM:
            return None
        if self.namespace_path:
            return normalize_path(self.namespace_path).split("/")[0]
        return self.scope_key

    def signing_tokens(self, now: datetime) -> list[str]:
        """The keys that sign a delivery now: the current one, and during a rotation the previous one too."""
        tokens = [self.signing_token] if self.signing_token else []
        until = self.previous_signing_token_until
        if self.previous_signing_token and until is not None and until > now:
            tokens.append(self.previous_signing_token)
        return tokens

    def with_signing_token(self, token: str | None, now: datetime) -> Hook:
        """Replace the signing token; the old one keeps signing for 24 h so receivers can switch over."""
        if token == self.signing_token:
            return self
        keep = self.signing_token is not None
        return self.model_copy(
            update={
                "signing_token": token,
                "previous_signing_token": self.signing_token if keep else None,
                "previous_signing_token_until": now + SIGNING_ROTATION if keep else None,
            }
        )

    @property
    def state(self) -> HookState:
        return HookState(self.recent_failures, self.disabled_until)

    @property
    def tracks_failures(self) -> bool:
        """System hooks are never disabled: their failures are not counted."""
        return self.kind is not HookKind.SYSTEM

    def alert_status(self, now: datetime) -> AlertStatus:
        if not self.tracks_failures:
            return AlertStatus.EXECUTABLE
        return alert_status(self.state, now)

    def route_entry(self) -> RouteEntry:
        return RouteEntry(
            triggers=self.triggers,
            branch_filter=self.push_events_branch_filter,
            branch_filter_strategy=self.branch_filter_strategy,
        )


class HookFields(TypedDict, total=False):
    """The hook fields a create or update sets, as the domain takes them: a key present is a field sent (an update
    changes only those). Trigger booleans of other kinds are ignored; a None trigger or
    ``enable_ssl_verification`` changes nothing."""

    url: str
    name: str | None
    description: str | None
    token: str | None
    signing_token: str | None
    enable_ssl_verification: bool | None
    concurrency_limit: int | None
    push_events_branch_filter: str | None
    branch_filter_strategy: BranchFilterStrategy | None
    custom_webhook_template: str | None
    url_variables: dict[str, str]
    custom_headers: dict[str, str]
    push_events: bool | None
    tag_push_events: bool | None
    issues_events: bool | None
    confidential_issues_events: bool | None
    note_events: bool | None
    confidential_note_events: bool | None
    merge_requests_events: bool | None
    job_events: bool | None
    pipeline_events: bool | None
    wiki_page_events: bool | None
    deployment_events: bool | None
    feature_flag_events: bool | None
    releases_events: bool | None
    milestone_events: bool | None
    emoji_events: bool | None
    resource_access_token_events: bool | None
    resource_deploy_token_events: bool | None
    vulnerability_events: bool | None
    member_events: bool | None
    subgroup_events: bool | None
    project_events: bool | None
    repository_update_events: bool | None
