"""Management API Lambda: API Gateway REST proxy events → the GitLab-compatible resolver."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from hookline import settings
from hookline.api.app import app
from hookline.config import runtime_config

logger = Logger(service=settings.SERVICE_NAME)
tracer = Tracer(service=settings.SERVICE_NAME, patch_modules=settings.TRACED_MODULES)
runtime_config()  # a bad setting fails the cold start, naming the variable and its value


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
