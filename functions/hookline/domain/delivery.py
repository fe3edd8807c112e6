"""One delivery: the queued task, the request it becomes, how its result is classified and logged."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from http import HTTPStatus
from typing import Annotated, Any
from urllib.parse import unquote_to_bytes, urlsplit, urlunsplit

import re2
from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, TypeAdapter

from hookline.domain.events import EVENT_TYPES, EVENT_TYPES_BY_NAME, EventType, HookKind, header_event_name
from hookline.domain.fairness import MAX_GROUP_LENGTH
from hookline.domain.hooks import Hook, UrlTemplateError, interpolated_url
from hookline.domain.log_text import REDACTED, truncate_bytes
from hookline.domain.signing import signature_header
from hookline.domain.templates import TemplateError, render_template

#: A URL as the API shows one with credentials: ``scheme://[REDACTED]@host…``.
_MASKED_USERINFO = re2.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://\[REDACTED\]@([^/?#]*)(.*)$")
INTERNAL_ERROR_STATUS = "internal error"
#: What a log keeps of an answer (GitLab's caps, in bytes of UTF-8, a cut marked with "…"); names and the total are
#: Hookline's own bounds.
RESPONSE_BODY_LIMIT = 8 * 1024
RESPONSE_HEADERS_LIMIT = 50
RESPONSE_HEADER_VALUE_LIMIT = 1024
RESPONSE_HEADER_NAME_LIMIT = 256
RESPONSE_HEADERS_BYTES_LIMIT = 16 * 1024
REDIRECT_LOCATION_LIMIT = 1024
#: How much more than the log keeps the client reads of a body: a secret that an answer echoes across the cut is still
#: whole when the log scrubs it (longer than any secret's longest form: 2048 characters, 4096 JSON-escaped).
SCRUB_MARGIN = 8 * 1024
REQUEST_TIMEOUT_SECONDS = 10.0
#: The GitLab release whose webhook behaviour Hookline follows: deliveries carry ``User-Agent: GitLab/<version>``.
GITLAB_VERSION = "19.0.0"
_GITLAB_VERSION = re2.compile(r"[0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4}(?:-[0-9A-Za-z][0-9A-Za-z.-]{0,31})?")
_IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d1f0e-5d0b-4a8e-9a41-1f5f0d2c7b10")
EVENT_TYPES_BY_LOG_TRIGGER: dict[str, EventType] = {event.log_trigger: event for event in EVENT_TYPES}


def idempotency_key(event_uuid: str, hook_id: int) -> str:
    """One key per hook per event: derived, so a re-run of the fan-out yields the same key."""
    return str(uuid.uuid5(_IDEMPOTENCY_NAMESPACE, f"{event_uuid}:{hook_id}"))


def _known_event(name: str) -> str:
    if name not in EVENT_TYPES_BY_NAME:
        raise ValueError("unknown event name")
    return name


#: What a delivery message may hold (it is Hookline's own, but a task that cannot be acted on must fail alone).
MAX_ATTEMPT = 100
HookId = Annotated[int, Field(ge=1, lt=2**63)]
EventUuid = Annotated[str, Field(min_length=1, max_length=128)]
EventName = Annotated[str, AfterValidator(_known_event)]
MessageGroup = Annotated[str, Field(min_length=1, max_length=MAX_GROUP_LENGTH)]


class DeliveryTask(BaseModel):
    """The SQS message of one delivery. The body travels inline, or is read from the event's stored payload.

    ``queued_at`` is when the fan-out first queued it (its age counts from there); ``not_before`` is when a retry or a
    hold may be attempted.
    """

    hook_id: HookId
    event_uuid: EventUuid
    event_name: EventName
    idempotency_key: EventUuid
    body: str | None = None
    attempt: int = Field(default=1, ge=1, le=MAX_ATTEMPT)
    queued_at: AwareDatetime
    not_before: AwareDatetime | None = None
    chain_uuid: EventUuid | None = None  # the chain's X-Gitlab-Event-UUID, when the event joined one
    message_group: MessageGroup | None = None  # its tenant's group on the fair delivery queue (domain.fairness)

    @property
    def log_trigger(self) -> str:
        return EVENT_TYPES_BY_NAME[self.event_name].log_trigger

    @property
    def gitlab_event_uuid(self) -> str:
        """``X-Gitlab-Event-UUID``: the chain's UUID, or the event's own when it started its chain."""
        return self.chain_uuid or self.event_uuid


class EventDeliveries(BaseModel):
    """The fan-out's SQS message: one event's deliveries to several hooks, which share all but the hook.

    The sender splits it into one :class:`DeliveryTask` per hook; a retry or a partial hold travels as a single task.
    """

    hook_ids: list[HookId] = Field(min_length=1, max_length=100)
    event_uuid: EventUuid
    event_name: EventName
    body: str | None = None
    queued_at: AwareDatetime
    chain_uuid: EventUuid | None = None
    message_group: MessageGroup | None = None

    def tasks(self) -> list[DeliveryTask]:
        shared = self.model_dump(exclude={"hook_ids"})
        return [
            DeliveryTask(hook_id=hook_id, idempotency_key=idempotency_key(self.event_uuid, hook_id), **shared)
            for hook_id in dict.fromkeys(self.hook_ids)
        ]


_DELIVERY_MESSAGE: TypeAdapter[EventDeliveries | DeliveryTask] = TypeAdapter(EventDeliveries | DeliveryTask)


def parse_delivery_message(body: str) -> list[DeliveryTask]:
    """The tasks of a delivery-queue message (several hooks' or one); a ValueError when it is neither."""
    message = _DELIVERY_MESSAGE.validate_json(body)
    return message.tasks() if isinstance(message, EventDeliveries) else [message]


class FailureClass(StrEnum):
    CLIENT = "4xx"
    SERVER = "5xx"
    INTERNAL = "internal"


class FailureKind(StrEnum):
    """Why a delivery got no answer. Decisions read this kind, never the message, which is for people."""

    TIMEOUT = "timeout"  # no answer in time: retried as a throttle
    CONNECTION = "connection"  # refused, reset or closed before an answer
    TLS = "tls"  # handshake failed or the certificate is not valid
    PROTOCOL = "protocol"  # the answer was not valid HTTP, or too large to read
    BLOCKED = "blocked"  # the outbound policy refused the destination
    INVALID_REQUEST = "invalid_request"  # the URL or a header value cannot be sent
    TEMPLATE = "template"  # the custom template failed or rendered past its cap
    PAYLOAD_MISSING = "payload_missing"  # the event's stored payload was not found (yet)
    HOOK_DELETED = "hook_deleted"
    HOOK_UNREADABLE = "hook_unreadable"  # the stored hook cannot be read (corrupt item, secret that cannot be opened)
    DEFERRED = "deferred"  # not started: the batch's time to send ran out (its hook was slow); retried, not counted
    INTERNAL = "internal"  # anything else that went wrong preparing or sending this one delivery


@dataclass(frozen=True)
class Redirect:
    """A redirect answer the chain went through (or stopped at): its status and its Location as sent."""

    status: int
    location: str


@dataclass(frozen=True)
class DeliveryResult:
    """What the receiver answered, or the internal error that kept the request from being answered.

    From the client, ``response_body`` holds up to ``RESPONSE_BODY_LIMIT + SCRUB_MARGIN`` bytes (``body_cut`` when
    there was more) and the headers whole; :func:`for_log` applies the log's caps once the secrets are scrubbed.
    """

    duration_s: float
    status_code: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    internal_error: str | None = None
    error_kind: FailureKind | None = None  # set with internal_error
    redirects: tuple[Redirect, ...] = ()
    body_cut: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 400

    @property
    def failure_class(self) -> FailureClass | None:
        if self.succeeded:
            return None
        if self.status_code is None:
            return FailureClass.INTERNAL
        return FailureClass.CLIENT if self.status_code < 500 else FailureClass.SERVER

    @property
    def response_status(self) -> str:
        return INTERNAL_ERROR_STATUS if self.status_code is None else str(self.status_code)


def split_userinfo(url: str) -> tuple[str, tuple[bytes, bytes] | None]:
    """The URL without ``user:pass@``, and those credentials for HTTP Basic auth, decoded as GitLab decodes them
    (``CGI.unescape``: ``%XX`` is a byte, ``+`` a space), so ``us%40er:p%3Ass`` is user ``us@er``, password ``p:ss``."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    credentials = (_unescaped(parts.username), _unescaped(parts.password or ""))
    return urlunsplit(parts._replace(netloc=netloc)), credentials


def _unescaped(text: str) -> bytes:
    return unquote_to_bytes(text.replace("+", " "))


def masked_url(url: str) -> str:
    """The URL as logs and API answers show it: credentials never appear."""
    bare, credentials = split_userinfo(url)
    if credentials is None:
        return url
    parts = urlsplit(bare)
    return urlunsplit(parts._replace(netloc=f"{REDACTED}@{parts.netloc}"))


class MaskedCredentials(ValueError):
    """A URL sent with ``[REDACTED]`` as its userinfo that names no stored credentials of the same origin."""


def unmasked_url(sent: str, stored: str | None) -> str:
    """The URL a client sent, with the stored credentials back where it kept them masked: ``[REDACTED]@`` (as the
    API shows a URL) stands for the stored userinfo when the scheme, host and port are the stored URL's; for another
    origin, or no stored credentials, MaskedCredentials (hidden credentials never go to a new destination)."""
    masked = _MASKED_USERINFO.match(sent)
    if masked is None:
        return sent
    scheme, host_and_port, rest = masked.groups()
    if stored is None or split_userinfo(stored)[1] is None:
        raise MaskedCredentials("no stored credentials to keep")
    try:
        new, old = urlsplit(f"{scheme}://{host_and_port}"), urlsplit(stored)
        same_origin = (new.scheme.lower(), new.hostname, new.port) == (old.scheme.lower(), old.hostname, old.port)
    except ValueError:
        return sent  # not a URL: its validation refuses it
    if not same_origin:
        raise MaskedCredentials("the stored credentials belong to another destination")
    return f"{scheme}://{old.netloc.rsplit('@', 1)[0]}@{host_and_port}{rest}"


def checked_gitlab_version(version: str) -> str:
    """``version`` when it is a GitLab release (``19.0.0``, ``18.2.1-ee``), else a ValueError that says so."""
    if not _GITLAB_VERSION.fullmatch(version):
        raise ValueError(f"is not a GitLab version such as {GITLAB_VERSION}")
    return version


def user_agent(version: str) -> str:
    """GitLab's ``User-Agent`` for a release."""
    return f"GitLab/{checked_gitlab_version(version)}"


@dataclass(frozen=True)
class RequestContext:
    """Per-instance values the delivery headers need."""

    instance_url: str
    user_agent: str = f"GitLab/{GITLAB_VERSION}"


def delivery_headers(hook: Hook, task: DeliveryTask, context: RequestContext, timestamp: int) -> dict[str, str]:
    """GitLab's delivery headers plus Standard Webhooks' id and timestamp; a fresh webhook UUID each attempt."""
    event = EVENT_TYPES_BY_NAME[task.event_name]
    headers = {
        "Content-Type": "application/json",
        "User-Agent": context.user_agent,
        "Idempotency-Key": task.idempotency_key,
        "X-Gitlab-Event": header_event_name(hook.kind, event),
        "X-Gitlab-Webhook-UUID": str(uuid.uuid4()),
        "X-Gitlab-Instance": context.instance_url,
        "X-Gitlab-Event-UUID": task.gitlab_event_uuid,
        "webhook-id": task.idempotency_key,
        "webhook-timestamp": str(timestamp),
    }
    if hook.token:
        headers["X-Gitlab-Token"] = hook.token
    return headers


_SECRET_HEADERS = frozenset({"x-gitlab-token", "authorization"})
_DELIVERY_HEADER_NAMES = (
    "Content-Type",
    "User-Agent",
    "Idempotency-Key",
    "X-Gitlab-Event",
    "X-Gitlab-Webhook-UUID",
    "X-Gitlab-Instance",
    "X-Gitlab-Event-UUID",
    "X-Gitlab-Token",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "Host",
    "Content-Length",
)


#: The delivery headers that follow a redirect to another origin: none of them carries a secret (the client sets Host
#: and Content-Length for each hop).
CROSS_ORIGIN_HEADERS = frozenset(
    name.lower()
    for name in _DELIVERY_HEADER_NAMES
    if name not in ("X-Gitlab-Token", "webhook-signature", "Host", "Content-Length")
)


def redact_headers(headers: dict[str, str], secret_names: frozenset[str] = frozenset()) -> dict[str, str]:
    """Token, Authorization and the names in ``secret_names`` (lower case: the custom headers) show as [REDACTED]."""
    secret = _SECRET_HEADERS | secret_names
    return {name: REDACTED if name.lower() in secret else value for name, value in headers.items()}


def url_hash(url: str) -> str:
    """A digest of the URL a request went to (its variables filled), so a resend can tell whether it changed."""
    return hashlib.sha256(url.encode()).hexdigest()


def current_url_hash(hook: Hook) -> str | None:
    """The digest of the hook's interpolated URL now, or None when its template cannot be filled."""
    try:
        return url_hash(interpolated_url(hook.url, hook.url_variables))
    except UrlTemplateError:
        return None


@dataclass(frozen=True)
class Outgoing:
    """A delivery as it will be sent and logged: the filled URL, the headers, the body, or why it cannot go.

    ``rendered`` is the body a template produced (logged as request_data); ``secrets`` are the url variable and custom
    header values, scrubbed from anything logged.
    """

    url: str
    headers: dict[str, str]
    logged_headers: dict[str, str]
    body: str | None
    rendered: str | None = None
    error: str | None = None
    error_kind: FailureKind | None = None
    url_hash: str | None = None
    secrets: tuple[tuple[str, str], ...] = ()

    def scrub(self, text: str | None) -> str | None:
        """``text`` with every secret value replaced by its placeholder, in any case and JSON-escaped too: one pass
        of one RE2 pattern (linear, and a placeholder is never scrubbed again)."""
        if not text or self._scrubber is None:
            return text
        pattern, marks = self._scrubber
        return str(pattern.sub(lambda match: marks.get(match.group(0).lower(), REDACTED), text))

    @cached_property
    def _scrubber(self) -> tuple[Any, dict[str, str]] | None:
        marks: dict[str, str] = {}
        for value, placeholder in self.secrets:
            for form in (value, json.dumps(value)[1:-1]):
                if _utf8_encodable(form):
                    marks.setdefault(form.lower(), placeholder)
        if not marks:
            return None
        alternatives = "|".join(re2.escape(form) for form in sorted(marks, key=len, reverse=True))
        return re2.compile(alternatives, _SCRUB_OPTIONS), marks

    def scrubbed(self, result: DeliveryResult) -> DeliveryResult:
        """The result as it may be logged: a receiver can echo the request, so what it answered (body, header names
        and values, redirect Locations) is scrubbed too. A body the client cut loses its tail first, one character
        shorter than the longest secret, so no secret's first part can stand at the cut."""
        if not self.secrets:
            return result
        body = result.response_body
        if result.body_cut and self._scrubber is not None:
            body = body[: max(0, len(body) - max(map(len, self._scrubber[1])) + 1)]
        return replace(
            result,
            internal_error=self.scrub(result.internal_error),
            response_body=self.scrub(body) or "",
            response_headers={
                self.scrub(name) or "": self.scrub(value) or "" for name, value in result.response_headers.items()
            },
            redirects=tuple(replace(hop, location=self.scrub(hop.location) or "") for hop in result.redirects),
        )

    def failure(self) -> DeliveryResult | None:
        """The result of a delivery that cannot be sent (nothing goes out), or None when it can."""
        if self.error is None and self.body is not None:
            return None
        if self.error is None:
            return DeliveryResult(0.0, internal_error=PAYLOAD_NOT_READABLE, error_kind=FailureKind.PAYLOAD_MISSING)
        return DeliveryResult(0.0, internal_error=self.error, error_kind=self.error_kind or FailureKind.INTERNAL)


def _utf8_encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


_SCRUB_OPTIONS = re2.Options()
_SCRUB_OPTIONS.case_sensitive = False
_SCRUB_OPTIONS.max_mem = 64 << 20

PAYLOAD_NOT_READABLE = "The event's payload could not be read; the delivery is retried"
PREPARE_FAILED = "Hookline could not prepare this delivery"


def prepare_outgoing(
    hook: Hook,
    task: DeliveryTask,
    body: str | None,
    context: RequestContext,
    timestamp: int,
    *,
    render: bool = True,
) -> Outgoing:
    """Fill the URL's variables, add the custom headers (delivery headers win), render the hook's template.

    Never raises: whatever keeps this one delivery from going out is its Outgoing's error, with a kind.
    """
    try:
        return _prepared(hook, task, body, context, timestamp, render)
    except Exception:  # a bulkhead: one hook's data must not fail the batch
        return Outgoing(masked_url_or_blank(hook.url), {}, {}, None, error=PREPARE_FAILED)


def masked_url_or_blank(url: str) -> str:
    try:
        return masked_url(url)
    except ValueError:
        return ""


def _prepared(
    hook: Hook, task: DeliveryTask, body: str | None, context: RequestContext, timestamp: int, render: bool
) -> Outgoing:
    if hook.unreadable:
        error = f"The hook's stored configuration cannot be read ({hook.unreadable}); update or delete the hook"
        return Outgoing("", {}, {}, None, error=error, error_kind=FailureKind.HOOK_UNREADABLE)
    custom = {
        name: value
        for name, value in hook.custom_headers.items()
        if name.lower() not in {header.lower() for header in _DELIVERY_HEADER_NAMES}
    }
    headers = {**custom, **delivery_headers(hook, task, context, timestamp)}
    logged = redact_headers(headers, frozenset(name.lower() for name in custom))
    secrets = _secrets(hook)
    outgoing = Outgoing(hook.url, headers, logged, body, secrets=secrets)
    try:
        url = interpolated_url(hook.url, hook.url_variables)
    except UrlTemplateError as error:
        return replace(outgoing, error=str(error), error_kind=FailureKind.INVALID_REQUEST)
    outgoing = replace(outgoing, url=url, url_hash=url_hash(url), secrets=_secrets(hook, url))
    if body is None or not render or not hook.custom_webhook_template:
        return _signed(outgoing, hook, task, timestamp)
    try:
        rendered = render_template(hook.custom_webhook_template, json.loads(body))
    except TemplateError as error:
        return replace(outgoing, body=None, rendered="{}", error=str(error), error_kind=FailureKind.TEMPLATE)
    except ValueError:
        return replace(outgoing, body=None, rendered="{}", error="The event's payload is not JSON")
    return _signed(replace(outgoing, body=rendered, rendered=rendered), hook, task, timestamp)


def _secrets(hook: Hook, url: str | None = None) -> tuple[tuple[str, str], ...]:
    """Every secret value a delivery of this hook to ``url`` (its URL filled) carries, with its placeholder; longest
    first. The userinfo's password, raw and decoded, and the Basic auth it becomes are secrets too."""
    pairs = [(value, f"{{{key}}}") for key, value in hook.url_variables.items()]
    pairs += [(value, REDACTED) for value in hook.custom_headers.values()]
    pairs += [(hook.token, REDACTED)] if hook.token else []
    parts = urlsplit(url or hook.url)
    credentials = split_userinfo(url or hook.url)[1]
    if credentials is not None:
        user, password = credentials
        pairs += [(parts.password or "", REDACTED), (password.decode("utf-8", "replace"), REDACTED)]
        pairs += [(base64.b64encode(user + b":" + password).decode(), REDACTED)]
    return tuple(sorted(((value, mark) for value, mark in pairs if value), key=lambda pair: -len(pair[0])))


def _signed(outgoing: Outgoing, hook: Hook, task: DeliveryTask, timestamp: int) -> Outgoing:
    """Add ``webhook-signature`` over the body as sent, with every signing token valid now."""
    tokens = hook.signing_tokens(datetime.fromtimestamp(timestamp, UTC))
    if outgoing.body is None or not tokens:
        return outgoing
    value = signature_header(tokens, task.idempotency_key, timestamp, outgoing.body.encode())
    return replace(
        outgoing,
        headers={**outgoing.headers, "webhook-signature": value},
        logged_headers={**outgoing.logged_headers, "webhook-signature": value},
    )


def for_log(result: DeliveryResult) -> DeliveryResult:
    """The result with the log's caps (after scrubbing): body 8 KB, at most 50 headers, names 256 B, values 1 KB,
    16 KB of headers in all, Locations 1 KB and redirect Locations masked, each cut marked with "…" as GitLab's."""
    headers: dict[str, str] = {}
    total = 0
    for name, value in list(result.response_headers.items())[:RESPONSE_HEADERS_LIMIT]:
        name = truncate_bytes(name, RESPONSE_HEADER_NAME_LIMIT)
        room = RESPONSE_HEADERS_BYTES_LIMIT - total - len(name.encode())
        if room < 0:
            break
        if name not in headers:
            headers[name] = truncate_bytes(truncate_bytes(value, RESPONSE_HEADER_VALUE_LIMIT), room)
            total += len(name.encode()) + len(headers[name].encode())
    return replace(
        result,
        response_headers=headers,
        response_body=truncate_bytes(result.response_body, RESPONSE_BODY_LIMIT, cut=result.body_cut),
        body_cut=False,
        redirects=tuple(
            replace(hop, location=truncate_bytes(masked_url_or_blank(hop.location), REDIRECT_LOCATION_LIMIT))
            for hop in result.redirects
        ),
    )


@dataclass(frozen=True)
class DeliveryLog:
    """One attempt, as the 'Recent events' log keeps it (2 days); the store gives it its id."""

    hook_id: int
    hook_kind: HookKind
    trigger: str
    url: str
    request_headers: dict[str, str]
    request_data: str | None  # None: the body is the event's stored payload
    event_uuid: str
    idempotency_key: str
    attempt: int
    created_at: datetime
    result: DeliveryResult
    url_hash: str | None = None  # of the interpolated URL it went to; a resend needs it unchanged

    def public_fields(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "url": self.url,
            "execution_duration": round(self.result.duration_s, 6),
            "request_headers": self.request_headers,
            "response_headers": self.result.response_headers,
            "response_body": self.result.response_body,
            "response_status": self.result.response_status,
            "internal_error_message": self.result.internal_error,
            "idempotency_key": self.idempotency_key,
            "redirects": [{"status": hop.status, "location": hop.location} for hop in self.result.redirects] or None,
        }


def delivery_log(
    task: DeliveryTask,
    hook: Hook | None,
    outgoing: Outgoing | None,
    result: DeliveryResult,
    now: datetime,
    request_data: str | None = None,
) -> DeliveryLog:
    """The log of one attempt; request_data is kept only when it is not the event's stored payload."""
    if outgoing is not None and outgoing.rendered is not None:
        request_data = outgoing.rendered
    if outgoing is not None:
        result = outgoing.scrubbed(result)
    result = for_log(result)
    return DeliveryLog(
        hook_id=task.hook_id,
        hook_kind=hook.kind if hook else HookKind.PROJECT,
        trigger=task.log_trigger,
        url=masked_url_or_blank(hook.url) if hook else "",
        request_headers=outgoing.logged_headers if outgoing else {},
        request_data=request_data,
        url_hash=outgoing.url_hash if outgoing else None,
        event_uuid=task.event_uuid,
        idempotency_key=task.idempotency_key,
        attempt=task.attempt,
        created_at=now,
        result=result,
    )


#: The status filter of "Recent events": a code, or one of GitLab's categories.
STATUS_CATEGORIES = {
    "successful": range(200, 300),
    "client_failure": range(400, 500),
    "server_failure": range(500, 600),
}
STATUS_CODES = frozenset(str(status.value) for status in HTTPStatus)


def status_matches(response_status: str, wanted: frozenset[str]) -> bool:
    """Whether a logged response_status is one of the codes or categories wanted ("internal error" is a
    ``server_failure``, as in GitLab's filter, and no code)."""
    if response_status == INTERNAL_ERROR_STATUS:
        return "server_failure" in wanted
    if not response_status.isdigit():
        return False
    code = int(response_status)
    return response_status in wanted or any(code in STATUS_CATEGORIES.get(name, ()) for name in wanted)


def log_id_for(created_at: datetime, entropy: int) -> int:
    """A time-sortable integer id (milliseconds * 1000 + entropy), safe as a JSON number."""
    return int(created_at.timestamp() * 1000) * 1000 + entropy % 1000
