"""Sender Lambda: delivery tasks from the delivery queue → POSTs, logs and hook state."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from hookline import settings
from hookline.config import runtime_config
from hookline.services.delivery import DeliverySender  # loaded at init, with httpx: every invocation needs them
from hookline.services.sqs_batch import BatchResponse, process_sqs_batch
from hookline.wiring import delivery_sender, metrics

logger = Logger(service=settings.SERVICE_NAME)
tracer = Tracer(service=settings.SERVICE_NAME, patch_modules=settings.TRACED_MODULES)
runtime_config()  # a bad setting fails the cold start, naming the variable and its value


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> BatchResponse:
    service: DeliverySender = delivery_sender()
    return process_sqs_batch(event, context, service.parse_record, service.deliver_messages)
