"""The REST API: ANY /api/v4/{proxy+} and GET /console/* → API function, access logs, throttling; the admin token secret."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_cdk.assertions import Match, Template
from constructs import IConstruct

from hookline import settings
from infra.stack import HooklineStack


def test_a_rest_api_not_an_http_api(template: Template) -> None:
    template.resource_count_is("AWS::ApiGateway::RestApi", 1)
    template.resource_count_is("AWS::ApiGatewayV2::Api", 0)


def test_proxy_resource_under_api_v4(template: Template, resources: dict[str, Any]) -> None:
    path_parts = {
        logical_id: r["Properties"]["PathPart"]
        for logical_id, r in resources.items()
        if r["Type"] == "AWS::ApiGateway::Resource"
    }
    parents = {
        logical_id: r["Properties"]["ParentId"]
        for logical_id, r in resources.items()
        if r["Type"] == "AWS::ApiGateway::Resource"
    }

    def path(logical_id: str) -> str:
        parent = parents[logical_id]
        prefix = path(parent["Ref"]) if "Ref" in parent else ""  # the root is a GetAtt on the RestApi
        return f"{prefix}/{path_parts[logical_id]}"

    assert sorted(path(logical_id) for logical_id in path_parts) == [
        "/api",
        "/api/v4",
        "/api/v4/{proxy+}",
        "/console",
        "/console/{proxy+}",
    ]
    ids = {path(logical_id): logical_id for logical_id in path_parts}
    template.resource_count_is("AWS::ApiGateway::Method", 3)
    template.has_resource_properties(
        "AWS::ApiGateway::Method", {"HttpMethod": "ANY", "ResourceId": {"Ref": ids["/api/v4/{proxy+}"]}}
    )
    for console in ("/console", "/console/{proxy+}"):  # the web console's files: GET only
        template.has_resource_properties(
            "AWS::ApiGateway::Method", {"HttpMethod": "GET", "ResourceId": {"Ref": ids[console]}}
        )


def test_lambda_proxy_integration_to_the_api_function(
    stack: HooklineStack, template: Template, logical_id: Callable[[IConstruct], str]
) -> None:
    for method in template.find_resources("AWS::ApiGateway::Method").values():  # the API and the console alike
        integration = method["Properties"]["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert integration["IntegrationHttpMethod"] == "POST"
        assert logical_id(stack.api.function.function) in str(integration["Uri"])


def test_stage_logs_after_the_account_logging_role(template: Template, resources: dict[str, Any]) -> None:
    (account_id,) = template.find_resources("AWS::ApiGateway::Account")
    account = resources[account_id]
    assert account["DeletionPolicy"] == "Retain", "other APIs of the account may rely on the role"
    role = resources[account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]]
    assert role["DeletionPolicy"] == "Retain"
    (stage,) = template.find_resources("AWS::ApiGateway::Stage").values()
    assert account_id in stage["DependsOn"]
    (settings_,) = stage["Properties"]["MethodSettings"]
    assert settings_["LoggingLevel"] == "ERROR"
    assert settings_["DataTraceEnabled"] is False


def test_stage_access_logs_throttling_tracing(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "AccessLogSetting": {"DestinationArn": Match.any_value(), "Format": Match.any_value()},
            "MethodSettings": Match.array_with(
                [
                    Match.object_like(
                        {
                            "HttpMethod": "*",
                            "ResourcePath": "/*",
                            "ThrottlingRateLimit": Match.any_value(),
                            "ThrottlingBurstLimit": Match.any_value(),
                        }
                    )
                ]
            ),
            "TracingEnabled": True,
        },
    )


def test_admin_token_is_a_generated_secret(template: Template) -> None:
    template.resource_count_is("AWS::SecretsManager::Secret", 1)
    template.has_resource_properties(
        "AWS::SecretsManager::Secret",
        {"GenerateSecretString": Match.object_like({"ExcludePunctuation": True}), "SecretString": Match.absent()},
    )


def test_instance_url_defaults_to_the_api(
    stack: HooklineStack, resources: dict[str, Any], logical_id: Callable[[IConstruct], str]
) -> None:
    env = resources[logical_id(stack.api.function.function)]["Properties"]["Environment"]["Variables"]
    url = env[settings.INSTANCE_URL_ENV]
    assert {"Ref": logical_id(stack.api.rest_api)} in url["Fn::Join"][1]
