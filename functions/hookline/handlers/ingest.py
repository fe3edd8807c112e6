"""Ingest Lambda: EventBridge events from the ingest queue → deliveries on the delivery queue."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from hookline import settings
from hookline.config import runtime_config
from hookline.services.fan_out import FanOut  # loaded at init, with its adapters: every invocation needs them
from hookline.services.sqs_batch import BatchResponse, process_sqs_batch
from hookline.wiring import fan_out

logger = Logger(service=settings.SERVICE_NAME)
tracer = Tracer(service=settings.SERVICE_NAME, patch_modules=settings.TRACED_MODULES)
runtime_config()  # a bad setting fails the cold start, naming the variable and its value


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> BatchResponse:
    service: FanOut = fan_out()
    return process_sqs_batch(event, context, service.parse_record, service.fan_out)
