"""The runtime configuration: every runtime setting read from the environment here, once per process, validated.

A bad value fails at once with a message naming the variable and the value
(``HOOKLINE_REQUEST_TIMEOUT_SECONDS='abc' is not a number``); an unset or empty variable takes its default. The
handlers build it at cold start, so a misconfigured function fails before its first event. Table and queue names the
CDK stack and the local stack share stay in ``hookline.settings`` (``TableSpec.name``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from hookline import settings
from hookline.domain.delivery import GITLAB_VERSION, REQUEST_TIMEOUT_SECONDS, checked_gitlab_version
from hookline.domain.sending import SenderPolicy, send_window
from hookline.domain.url_policy import Allowlist

DEFAULT_INSTANCE_URL = "https://hookline.invalid"


class ConfigError(ValueError):
    """One or more settings in the environment are invalid; the message names each variable and its value."""


class RuntimeConfig(BaseModel):
    """Fields are read from the environment variables named by their aliases."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, populate_by_name=True)

    delivery_queue_url: str = Field("", validation_alias=settings.DELIVERY_QUEUE.env_var)
    ingest_dlq_url: str = Field("", validation_alias=settings.INGEST_QUEUE.dlq_env_var)
    bus_name: str = Field(settings.DEFAULT_BUS_NAME, validation_alias=settings.BUS_NAME_ENV)
    instance_url: str = Field(DEFAULT_INSTANCE_URL, validation_alias=settings.INSTANCE_URL_ENV)
    outbound_allowlist: Allowlist = Field(Allowlist(), validation_alias=settings.OUTBOUND_ALLOWLIST_ENV)
    client_cert_secret: str | None = Field(None, validation_alias=settings.CLIENT_CERT_SECRET_ENV)
    kms_key_id: str | None = Field(None, validation_alias=settings.KMS_KEY_ENV)
    admin_token: SecretStr | None = Field(None, validation_alias=settings.ADMIN_TOKEN_ENV)
    admin_token_secret: str | None = Field(None, validation_alias=settings.ADMIN_TOKEN_SECRET_ENV)
    request_timeout_s: float = Field(
        REQUEST_TIMEOUT_SECONDS, validation_alias=settings.REQUEST_TIMEOUT_ENV, ge=0.1, allow_inf_nan=False
    )
    max_hold_seconds: int = Field(
        settings.SQS_MAX_VISIBILITY_SECONDS,
        validation_alias=settings.MAX_HOLD_ENV,
        ge=1,
        le=settings.SQS_MAX_VISIBILITY_SECONDS,
    )
    delivery_max_age_hours: float = Field(
        settings.DEFAULT_DELIVERY_MAX_AGE_HOURS,
        validation_alias=settings.DELIVERY_MAX_AGE_ENV,
        gt=0,
        allow_inf_nan=False,
    )
    namespace_rate_limit: int = Field(
        settings.DEFAULT_NAMESPACE_RATE_LIMIT, validation_alias=settings.NAMESPACE_RATE_LIMIT_ENV, ge=1
    )
    #: The GitLab release whose webhook behaviour Hookline follows: deliveries carry ``User-Agent: GitLab/<it>``.
    gitlab_version: str = Field(GITLAB_VERSION, validation_alias=settings.GITLAB_VERSION_ENV)

    @field_validator("outbound_allowlist", mode="before")
    @classmethod
    def _allowlist(cls, value: Any) -> Any:
        return Allowlist.parse(value) if isinstance(value, str) else value

    @field_validator("gitlab_version")
    @classmethod
    def _release(cls, value: str) -> str:
        return checked_gitlab_version(value)

    @field_validator("instance_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("is not an http(s) URL")
        return value

    @property
    def sender_policy(self) -> SenderPolicy:
        return SenderPolicy(
            max_age=timedelta(hours=self.delivery_max_age_hours),
            max_hold_seconds=self.max_hold_seconds,
            send_window_seconds=send_window(self.request_timeout_s),
            round_lease=timedelta(seconds=self.request_timeout_s + settings.LEASE_MARGIN_SECONDS),
            namespace_rate_limit=self.namespace_rate_limit,
        )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> RuntimeConfig:
        """The configuration the variables in ``environ`` give; ConfigError naming every bad one."""
        names = [str(field.validation_alias) for field in cls.model_fields.values() if field.validation_alias]
        try:
            return cls.model_validate({name: environ[name] for name in names if environ.get(name, "").strip()})
        except ValidationError as error:
            raise ConfigError("; ".join(_problem(detail) for detail in error.errors())) from None


#: Pydantic's error types, worded for an operator.
_WORDING = {
    "float_parsing": "is not a number",
    "finite_number": "is not a finite number",
    "int_parsing": "is not an integer",
    "int_from_float": "is not an integer",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
}
_SECRETS = {settings.ADMIN_TOKEN_ENV}


def _problem(detail: Any) -> str:
    name = str(detail["loc"][0]) if detail.get("loc") else "?"
    context = {key: _plain(value) for key, value in (detail.get("ctx") or {}).items()}
    if detail["type"] == "value_error":
        wording = str(context.get("error", detail["msg"]))
    else:
        wording = _WORDING.get(detail["type"], detail["msg"]).format(**context)
    shown = "<hidden>" if name in _SECRETS else repr(detail.get("input"))
    return f"{name}={shown} {wording}"


def _plain(value: Any) -> Any:
    """``0.0`` as ``0``: a limit as the operator would write it."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


@cache
def runtime_config() -> RuntimeConfig:
    return RuntimeConfig.from_environ(os.environ)
