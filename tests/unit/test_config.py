"""The runtime configuration: defaults, and every bad value refused with the variable and the value named."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hookline import settings
from hookline.config import DEFAULT_INSTANCE_URL, ConfigError, RuntimeConfig
from hookline.domain.delivery import REQUEST_TIMEOUT_SECONDS


def test_an_empty_environment_gives_the_defaults() -> None:
    config = RuntimeConfig.from_environ({})
    assert config.request_timeout_s == REQUEST_TIMEOUT_SECONDS
    assert config.instance_url == DEFAULT_INSTANCE_URL
    assert config.bus_name == settings.DEFAULT_BUS_NAME
    assert config.sender_policy.max_hold_seconds == settings.SQS_MAX_VISIBILITY_SECONDS
    assert config.sender_policy.namespace_rate_limit == settings.DEFAULT_NAMESPACE_RATE_LIMIT
    assert config.admin_token is None and config.kms_key_id is None
    assert config.gitlab_version == "19.0.0"


def test_values_are_read_from_their_variables() -> None:
    config = RuntimeConfig.from_environ(
        {
            settings.REQUEST_TIMEOUT_ENV: "2.5",
            settings.MAX_HOLD_ENV: "1",
            settings.DELIVERY_MAX_AGE_ENV: "0.5",
            settings.NAMESPACE_RATE_LIMIT_ENV: "10",
            settings.OUTBOUND_ALLOWLIST_ENV: "127.0.0.1, example.internal",
            settings.INSTANCE_URL_ENV: "http://127.0.0.1:8080",
            settings.ADMIN_TOKEN_ENV: "s3cret-admin",
            settings.CLIENT_CERT_SECRET_ENV: "",  # empty: unset
            settings.GITLAB_VERSION_ENV: "18.2.1-ee",
        }
    )
    assert config.gitlab_version == "18.2.1-ee"
    assert config.request_timeout_s == 2.5
    assert config.sender_policy.max_hold_seconds == 1
    assert config.sender_policy.max_age == timedelta(minutes=30)
    assert config.sender_policy.namespace_rate_limit == 10
    assert "example.internal" in config.outbound_allowlist.hosts
    assert config.admin_token is not None and config.admin_token.get_secret_value() == "s3cret-admin"
    assert config.client_cert_secret is None
    assert "s3cret-admin" not in repr(config)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (settings.REQUEST_TIMEOUT_ENV, "abc", "HOOKLINE_REQUEST_TIMEOUT_SECONDS='abc' is not a number"),
        (settings.REQUEST_TIMEOUT_ENV, "nan", "HOOKLINE_REQUEST_TIMEOUT_SECONDS='nan' is not a finite number"),
        (settings.REQUEST_TIMEOUT_ENV, "inf", "HOOKLINE_REQUEST_TIMEOUT_SECONDS='inf' is not a finite number"),
        (settings.REQUEST_TIMEOUT_ENV, "0", "HOOKLINE_REQUEST_TIMEOUT_SECONDS='0' must be at least 0.1"),
        (settings.REQUEST_TIMEOUT_ENV, "-5", "HOOKLINE_REQUEST_TIMEOUT_SECONDS='-5' must be at least 0.1"),
        (settings.MAX_HOLD_ENV, "1.5", "HOOKLINE_MAX_HOLD_SECONDS='1.5' is not an integer"),
        (settings.MAX_HOLD_ENV, "ten", "HOOKLINE_MAX_HOLD_SECONDS='ten' is not an integer"),
        (settings.MAX_HOLD_ENV, "0", "HOOKLINE_MAX_HOLD_SECONDS='0' must be at least 1"),
        (settings.MAX_HOLD_ENV, "99999", "HOOKLINE_MAX_HOLD_SECONDS='99999' must be at most 42300"),
        (settings.DELIVERY_MAX_AGE_ENV, "0", "HOOKLINE_DELIVERY_MAX_AGE_HOURS='0' must be greater than 0"),
        (settings.DELIVERY_MAX_AGE_ENV, "72h", "HOOKLINE_DELIVERY_MAX_AGE_HOURS='72h' is not a number"),
        (settings.NAMESPACE_RATE_LIMIT_ENV, "lots", "HOOKLINE_NAMESPACE_RATE_LIMIT='lots' is not an integer"),
        (settings.NAMESPACE_RATE_LIMIT_ENV, "0", "HOOKLINE_NAMESPACE_RATE_LIMIT='0' must be at least 1"),
        (
            settings.INSTANCE_URL_ENV,
            "gitlab.example.com",
            "HOOKLINE_INSTANCE_URL='gitlab.example.com' is not an http(s) URL",
        ),
        (settings.INSTANCE_URL_ENV, "ftp://host", "HOOKLINE_INSTANCE_URL='ftp://host' is not an http(s) URL"),
        (settings.GITLAB_VERSION_ENV, "19", "HOOKLINE_GITLAB_VERSION='19' is not a GitLab version such as 19.0.0"),
        (
            settings.GITLAB_VERSION_ENV,
            "19.0.0\r\nX: y",
            "HOOKLINE_GITLAB_VERSION='19.0.0\\r\\nX: y' is not a GitLab version such as 19.0.0",
        ),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable_and_the_value(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        RuntimeConfig.from_environ({name: value})
    assert str(refused.value) == message


def test_every_bad_value_is_named_at_once() -> None:
    with pytest.raises(ConfigError) as refused:
        RuntimeConfig.from_environ({settings.REQUEST_TIMEOUT_ENV: "x", settings.NAMESPACE_RATE_LIMIT_ENV: "y"})
    assert str(refused.value) == (
        "HOOKLINE_REQUEST_TIMEOUT_SECONDS='x' is not a number; HOOKLINE_NAMESPACE_RATE_LIMIT='y' is not an integer"
    )
