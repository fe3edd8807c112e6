"""Builds each service once per process from the runtime configuration.

Each builder imports what its service needs when it is first called, so a handler's cold start imports only its own
service's modules (the ingest function never loads the HTTP client, the sender never loads the API).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, cast

from aws_lambda_powertools import Metrics

from hookline import settings
from hookline.config import runtime_config

if TYPE_CHECKING:
    from hookline.services.access_tokens import AccessTokens
    from hookline.services.delivery import DeliverySender
    from hookline.services.fan_out import FanOut
    from hookline.services.hook_admin import HookAdmin
    from hookline.services.portal_links import PortalLinks

metrics = Metrics(namespace=settings.METRICS_NAMESPACE, service=settings.SERVICE_NAME)


@cache
def fan_out() -> FanOut:
    from hookline.adapters.delivery_store import DeliveryStore
    from hookline.adapters.hook_store import HookStore
    from hookline.services.fan_out import FanOut

    config = runtime_config()
    return FanOut(
        HookStore(),
        DeliveryStore(),
        config.delivery_queue_url,
        config.ingest_dlq_url,
        config.instance_url,
        metrics=metrics,
    )


@cache
def delivery_sender() -> DeliverySender:
    from hookline.adapters.delivery_store import DeliveryStore
    from hookline.adapters.gate_store import GateStore
    from hookline.adapters.hook_store import HookStore
    from hookline.adapters.http_client import HttpSender
    from hookline.adapters.tls import ClientCertificate
    from hookline.domain.delivery import RequestContext, user_agent
    from hookline.services.delivery import DeliverySender

    config = runtime_config()
    return DeliverySender(
        HookStore(),
        DeliveryStore(),
        HttpSender(
            config.outbound_allowlist,
            client_certificate=(
                ClientCertificate.from_secret(config.client_cert_secret) if config.client_cert_secret else None
            ),
            timeout_s=config.request_timeout_s,
        ),
        RequestContext(instance_url=config.instance_url, user_agent=user_agent(config.gitlab_version)),
        gates=GateStore(),
        queue_url=config.delivery_queue_url,
        bus_name=config.bus_name,
        policy=config.sender_policy,
        metrics=metrics,
    )


@cache
def hook_admin() -> HookAdmin:
    from hookline.adapters.delivery_store import DeliveryStore
    from hookline.adapters.hook_store import HookStore
    from hookline.adapters.http_client import destination_blocked
    from hookline.services.hook_admin import HookAdmin

    config = runtime_config()
    return HookAdmin(
        HookStore(),
        DeliveryStore(),
        cast("DeliverySender", _SenderOnDemand()),
        config.delivery_queue_url,
        config.instance_url,
        url_guard=lambda url: destination_blocked(url, config.outbound_allowlist),
    )


class _SenderOnDemand:
    """The API's sender (hook tests and resends), built at its first use: most API requests send nothing, so the
    API's cold start does not load the HTTP client."""

    def send_test(self, *args: Any, **kwargs: Any) -> Any:
        return delivery_sender().send_test(*args, **kwargs)

    def send_resend(self, *args: Any, **kwargs: Any) -> Any:
        return delivery_sender().send_resend(*args, **kwargs)


def access_tokens() -> AccessTokens:
    """Cheap to build (it holds table names only), so built per call: nothing to reset between local stacks."""
    from hookline.adapters.hook_store import HookStore
    from hookline.adapters.token_store import TokenStore
    from hookline.services.access_tokens import AccessTokens

    return AccessTokens(TokenStore(), HookStore())


def portal_links() -> PortalLinks:
    """Portal links and sessions; built per call, as ``access_tokens``."""
    from hookline.adapters.portal_store import PortalStore
    from hookline.adapters.token_store import TokenStore
    from hookline.services.portal_links import PortalLinks

    return PortalLinks(PortalStore(), TokenStore())
