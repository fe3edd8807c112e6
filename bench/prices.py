"""AWS's published on-demand prices for us-east-1 (N. Virginia), arm64 Lambda; the one price table the bench uses.

The list prices of AWS's public pricing pages as they stood in November 2025 (this machine cannot reach them, so they
were not re-read on the day of a run; check them before quoting a cost): "Amazon SQS pricing", "Amazon DynamoDB
pricing" (on-demand capacity, Standard table class, after the November 2024 reduction), "AWS Lambda pricing" (Arm
price, first tier) and "Amazon EventBridge pricing" (custom events). Free tiers are left out: the figure is the marginal
cost at scale.
"""

from __future__ import annotations

PRICES_DATE = "2025-11"
REGION = "us-east-1"
SOURCES = (
    "Amazon SQS pricing (standard queues, requests)",
    "Amazon DynamoDB pricing (on-demand capacity, Standard table class)",
    "AWS Lambda pricing (Arm, first 7.5 billion GB-seconds a month)",
    "Amazon EventBridge pricing (event bus, custom events)",
    "AWS X-Ray pricing (traces recorded)",
    "Amazon CloudWatch pricing (logs ingested, standard class)",
)

#: Dollars per unit. An SQS request and an EventBridge event are billed per 64 KB chunk of payload.
SQS_REQUEST = 0.40 / 1_000_000
DYNAMODB_WRITE_REQUEST_UNIT = 0.625 / 1_000_000  # a standard write of up to 1 KB
DYNAMODB_READ_REQUEST_UNIT = 0.125 / 1_000_000  # a strongly consistent read of up to 4 KB (eventual: half a unit)
LAMBDA_REQUEST = 0.20 / 1_000_000
LAMBDA_ARM_GB_SECOND = 0.0000133334
EVENTBRIDGE_PUT_EVENT = 1.00 / 1_000_000
BILLING_CHUNK_BYTES = 64 * 1024
XRAY_TRACE_RECORDED = 5.00 / 1_000_000
CLOUDWATCH_LOGS_INGESTED_GB = 0.50
