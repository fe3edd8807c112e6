"""HooklineStack: the whole service in one environment-agnostic stack, one construct per concern."""

from __future__ import annotations

from typing import Any

from aws_cdk import App, CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from hookline import settings
from infra.constructs.api import Api
from infra.constructs.delivery import Delivery
from infra.constructs.function import dependency_layer
from infra.constructs.ingest import Ingest
from infra.constructs.monitoring import Monitoring
from infra.constructs.storage import Storage
from infra.nag import add_nag_checks

STACK_NAME = "Hookline"


class HooklineStack(Stack):
    """Bus → ingest → delivery queue → sender, the /api/v4 API, tables and monitoring.

    CDK context: `bus_name` (default settings.DEFAULT_BUS_NAME), `instance_url` (default: the API's base URL) and
    `api_gateway_logging_role` (default true: create API Gateway's region-wide CloudWatch role; set false where the
    account already manages it), `batching_window_seconds` (default 0: both event source mappings' batching window,
    which lowers the bill at low volume and delays deliveries by up to as long per queue; see the README's "Cost").
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        kwargs.setdefault("description", "Hookline: GitLab-grade outbound webhooks")
        super().__init__(scope, construct_id, **kwargs)
        bus_name = self.node.try_get_context("bus_name") or settings.DEFAULT_BUS_NAME
        logging_role = _flag(self.node.try_get_context("api_gateway_logging_role"), default=True)

        layer = dependency_layer(self)
        self.storage = Storage(self, "Storage")
        self.delivery = Delivery(self, "Delivery", layer=layer, storage=self.storage)
        self.ingest = Ingest(
            self,
            "Ingest",
            bus_name=bus_name,
            layer=layer,
            storage=self.storage,
            delivery_queue=self.delivery.queue.queue,
        )
        self.delivery.publish_events_to(self.ingest.bus)
        self.api = Api(
            self,
            "Api",
            layer=layer,
            storage=self.storage,
            delivery_queue=self.delivery.queue.queue,
            account_logging_role=logging_role,
        )
        self.api.publish_events_to(self.ingest.bus)
        self.functions = [self.ingest.function, self.delivery.sender, self.api.function]
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            queues=[self.ingest.queue, self.delivery.queue],
            functions=self.functions,
            rest_api=self.api.rest_api,
        )
        self._client_certificate(self.node.try_get_context("client_cert_secret"))
        self.secrets_key = self._secrets_key()
        instance_url = self.node.try_get_context("instance_url") or self.api.base_url
        for function in self.functions:
            function.add_environment(settings.INSTANCE_URL_ENV, instance_url)

        CfnOutput(self, "ApiUrl", value=f"{self.api.base_url}/api/v4/", description="Base URL of the /api/v4 API")
        CfnOutput(self, "InstanceUrl", value=instance_url, description="Instance URL the functions use")
        CfnOutput(self, "BusName", value=self.ingest.bus.event_bus_name, description="Put events on this bus")
        CfnOutput(self, "AdminTokenSecret", value=self.api.admin_token.secret_arn, description="Admin token secret")
        CfnOutput(self, "AlarmTopic", value=self.monitoring.topic.topic_arn, description="Subscribe to get alarms")

    def _secrets_key(self) -> kms.Key:
        """The key that seals hook secrets at rest: the API seals and opens them, the sender only opens them."""
        key = kms.Key(
            self,
            "SecretsKey",
            description="Hookline: hook tokens, signing tokens, url variable and custom header values",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,  # sealed values outlive a stack deletion, like the tables
        )
        key.grant(self.api.function.role, "kms:GenerateDataKey")
        for function in (self.api.function, self.delivery.sender):
            key.grant_decrypt(function.role)
            function.add_environment(settings.KMS_KEY_ENV, key.key_arn)
        return key

    def _client_certificate(self, secret_name: str | None) -> None:
        """Mutual TLS: the senders (the sender, and the API for hook tests) read the client certificate's secret."""
        if not secret_name:
            return
        secret = secretsmanager.Secret.from_secret_name_v2(self, "ClientCertificate", secret_name)
        for function in (self.delivery.sender, self.api.function):
            function.add_environment(settings.CLIENT_CERT_SECRET_ENV, secret_name)
            secret.grant_read(function.role)


def _flag(value: object, *, default: bool) -> bool:
    """A boolean context value: from cdk.json it is a bool, from `cdk -c name=value` a string."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes")


def build(app: App) -> HooklineStack:
    """What app.py synthesizes: the stack, checked by cdk-nag's AwsSolutions pack."""
    stack = HooklineStack(app, STACK_NAME)
    add_nag_checks(app)
    return stack
