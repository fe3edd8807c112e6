"""API: the GitLab-compatible REST API (/api/v4/...) in front of the API function, and the admin token secret."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from hookline import settings
from infra.constructs.function import LOG_RETENTION, HooklineFunction
from infra.constructs.storage import READ_ITEMS, UPDATE_ITEM, WRITE_ITEMS, Storage
from infra.nag import INDEX_WILDCARD_REASON, acknowledge, index_wildcard_finding

STAGE_NAME = "v1"
#: Steady-state requests per second and burst for the whole stage.
THROTTLING_RATE_LIMIT = 50
THROTTLING_BURST_LIMIT = 100


class Api(Construct):
    """REST API (not HTTP API) with ANY /api/v4/{proxy+} → API function (Lambda proxy integration)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        layer: lambda_.ILayerVersion,
        storage: Storage,
        delivery_queue: sqs.IQueue,
        account_logging_role: bool = True,
    ) -> None:
        """account_logging_role: create API Gateway's region-wide CloudWatch role, which logging to CloudWatch needs.

        Without it the account must already have one (API Gateway settings), or the stage fails to deploy.
        """
        super().__init__(scope, construct_id)
        self.admin_token = secretsmanager.Secret(
            self,
            "AdminToken",
            description="Hookline admin token (PRIVATE-TOKEN header of the /api/v4 API)",
            generate_secret_string=secretsmanager.SecretStringGenerator(exclude_punctuation=True, password_length=48),
        )
        acknowledge(
            self.admin_token,
            "AwsSolutions-SMG4",
            "The admin token is a static API credential handed to operators; rotating it means redistributing it, "
            "so it is rotated by hand (put a new secret value) rather than by a rotation Lambda.",
        )

        access_logs = logs.LogGroup(self, "AccessLogs", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY)
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"{Stack.of(self).stack_name}-api",  # the ApiName dimension of its CloudWatch metrics
            description="Hookline: GitLab-compatible webhook management API",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # CDK retains the role and the account setting with the stack: other APIs may rely on them by then.
            cloud_watch_role=account_logging_role,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE_NAME,
                # Execution logs of failed requests only: no request/response bodies in the logs.
                logging_level=apigw.MethodLoggingLevel.ERROR if account_logging_role else apigw.MethodLoggingLevel.OFF,
                data_trace_enabled=False,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                throttling_rate_limit=THROTTLING_RATE_LIMIT,
                throttling_burst_limit=THROTTLING_BURST_LIMIT,
                tracing_enabled=True,
            ),
        )
        # Built from the API id and the literal stage name, not rest_api.url: the functions' environment may use it,
        # and rest_api.url depends on the deployment, which depends on the API function (a cycle).
        stack = Stack.of(self)
        self.base_url = (
            f"https://{self.rest_api.rest_api_id}.execute-api.{stack.region}.{stack.url_suffix}/{STAGE_NAME}"
        )

        self.function = HooklineFunction(
            self,
            settings.API_FUNCTION,
            layer=layer,
            environment={
                settings.HOOKS_TABLE.env_var: storage.hooks_table.table_name,
                settings.DELIVERIES_TABLE.env_var: storage.deliveries_table.table_name,
                settings.DELIVERY_QUEUE.env_var: delivery_queue.queue_url,
                settings.ADMIN_TOKEN_SECRET_ENV: self.admin_token.secret_arn,
                # Empty: deployed, hook URLs may only point to public addresses.
                settings.OUTBOUND_ALLOWLIST_ENV: "",
            },
        )
        role = self.function.role
        # Read/write data covers TransactWriteItems, which IAM checks as its Put/Update/Delete/ConditionCheck parts.
        storage.hooks_table.grant_read_write_data(role)
        # Hook tests log their attempt; recover deletes the parked items it queues again (BatchWriteItem).
        storage.deliveries_table.grant(role, *READ_ITEMS, *WRITE_ITEMS, UPDATE_ITEM)  # + the manual-send counter
        delivery_queue.grant_send_messages(role)  # recover re-queues parked deliveries
        self.admin_token.grant_read(role)
        acknowledge(role, index_wildcard_finding(storage.hooks_table), INDEX_WILDCARD_REASON)

        proxy = self.rest_api.root.add_resource("api").add_resource("v4").add_resource("{proxy+}")
        proxy.add_method("ANY", apigw.LambdaIntegration(self.function.function, proxy=True))
        for rule_id in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
            acknowledge(
                proxy,
                rule_id,
                "Clients authenticate as on GitLab, with a PRIVATE-TOKEN header that the API function checks (the "
                "admin token lives in Secrets Manager); there are no Cognito users or IAM-signed callers to authorize.",
            )
        # The web console: static files served by the same function on the API's origin (no CORS, one deployment).
        integration = apigw.LambdaIntegration(self.function.function, proxy=True)
        console = self.rest_api.root.add_resource("console")
        console.add_method("GET", integration)
        console.add_resource("{proxy+}").add_method("GET", integration)
        for resource in (console, console.node.find_child("{proxy+}")):
            for rule_id in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
                acknowledge(
                    resource,
                    rule_id,
                    "The console's static page, script and stylesheet are public like any sign-in page; they hold no "
                    "data, and every call the page makes goes to /api/v4 with the user's token.",
                )
        acknowledge(
            self.rest_api,
            "AwsSolutions-APIG2",
            "A single /api/v4/{proxy+} route forwards every request to the API function, which validates paths, "
            "queries and bodies itself (pydantic models); API Gateway has no per-route models to check them against.",
        )
        acknowledge(
            self.rest_api,
            "AwsSolutions-APIG3",
            "No WAF web ACL in this stack: the stage is throttled and requests are authenticated by the API function; "
            "a web ACL, with its per-request cost, is left to the account's edge setup.",
        )
        if account_logging_role:
            # CDK does not order the stage after the account setting; logging fails until the role is in place.
            self.rest_api.deployment_stage.node.add_dependency(self.rest_api.node.find_child("Account"))
            acknowledge(
                self.rest_api.node.find_child("CloudWatchRole"),
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs]",
                "API Gateway's CloudWatch role is one per account and region and serves every API there, so it cannot "
                "be scoped to this API's log groups; AWS's managed policy is the documented policy for it.",
            )
        else:
            acknowledge(
                self.rest_api,
                "AwsSolutions-APIG6",
                "Execution logging is off because this deployment does not manage API Gateway's region-wide "
                "CloudWatch role (context api_gateway_logging_role=false); access logs, the function's logs and X-Ray "
                "still cover each request.",
            )

    def publish_events_to(self, bus: events.IEventBus) -> None:
        """A successful hook test re-enables the hook and says so on the bus."""
        self.function.add_environment(settings.BUS_NAME_ENV, bus.event_bus_name)
        bus.grant_put_events_to(self.function.role)
