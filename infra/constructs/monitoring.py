"""Monitoring: a dashboard of delivery health and queue backlogs, and alarms (to an SNS topic) on DLQs and queue age."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from hookline import settings
from hookline.settings import DELIVERY_QUEUE, INGEST_QUEUE, METRICS_NAMESPACE, SERVICE_NAME
from infra.constructs.queue import WorkQueue

PERIOD = Duration.minutes(5)

# Custom metrics the sender emits with Powertools (EMF; hookline.services.delivery), dimension service=SERVICE_NAME.
DELIVERIES = settings.METRIC_DELIVERIES
DELIVERY_SUCCEEDED = settings.METRIC_SUCCEEDED
DELIVERY_FAILED = (settings.METRIC_FAILED_4XX, settings.METRIC_FAILED_5XX, settings.METRIC_FAILED_INTERNAL)
DELIVERY_LATENCY = settings.METRIC_LATENCY

#: Oldest-message age that means a queue is not being drained: ingest should be near real time. The delivery queue
#: also holds deliveries for disabled hooks (hidden up to 12 h at a time, up to 24 h in all), so it gets more room.
MAX_AGE = {INGEST_QUEUE: Duration.minutes(5), DELIVERY_QUEUE: Duration.hours(26)}
DEFAULT_MAX_AGE = Duration.minutes(15)


def _metric(name: str, statistic: str = "Sum", label: str | None = None) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": SERVICE_NAME},
        statistic=statistic,
        period=PERIOD,
        label=label,
    )


class Monitoring(Construct):
    """Dashboard + alarms for the given work queues; alarms notify self.topic."""

    def __init__(self, scope: Construct, construct_id: str, *, queues: list[WorkQueue]) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "AlarmTopic", display_name="Hookline alarms", enforce_ssl=True)
        action = cloudwatch_actions.SnsAction(self.topic)

        self.alarms: list[cloudwatch.Alarm] = []
        for work_queue in queues:
            name = work_queue.spec.logical_id
            dlq_depth = work_queue.dlq.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum")
            dlq_alarm = dlq_depth.create_alarm(
                self,
                f"{name}DlqNotEmpty",
                alarm_description=f"Messages are in the {name} dead-letter queue: they failed "
                f"{work_queue.spec.max_receive_count} times and need a look (and a redrive).",
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            max_age = MAX_AGE.get(work_queue.spec, DEFAULT_MAX_AGE)
            age = work_queue.queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum")
            age_alarm = age.create_alarm(
                self,
                f"{name}Backlog",
                alarm_description=f"The oldest message in {name} is older than {max_age.to_human_string()}: "
                "its consumer is failing or throttled.",
                threshold=max_age.to_seconds(),
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=3,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            for alarm in (dlq_alarm, age_alarm):
                alarm.add_alarm_action(action)
                alarm.add_ok_action(action)
                self.alarms.append(alarm)

        unreadable = _metric(settings.METRIC_HOOK_UNREADABLE).create_alarm(
            self,
            "HookUnreadable",
            alarm_description="A hook's stored item cannot be read (a corrupt item, or a secret that cannot be "
            "opened): its deliveries fail with an internal error naming the cause, and no other hook is affected. "
            "See the README's runbook 'A hook is contained'.",
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        unreadable.add_alarm_action(action)
        unreadable.add_ok_action(action)
        self.alarms.append(unreadable)

        success_rate = cloudwatch.MathExpression(
            expression="100 * succeeded / deliveries",
            using_metrics={"succeeded": _metric(DELIVERY_SUCCEEDED), "deliveries": _metric(DELIVERIES)},
            label="Success rate (%)",
            period=PERIOD,
        )
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=Stack.of(self).stack_name)
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Deliveries",
                left=[_metric(DELIVERIES), _metric(DELIVERY_SUCCEEDED), *(_metric(name) for name in DELIVERY_FAILED)],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Delivery success rate",
                left=[success_rate],
                left_y_axis=cloudwatch.YAxisProps(min=0, max=100),
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Delivery latency (ms)",
                left=[_metric(DELIVERY_LATENCY, "p50", "p50"), _metric(DELIVERY_LATENCY, "p99", "p99")],
                width=8,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Age of oldest message (s)",
                left=[
                    q.queue.metric_approximate_age_of_oldest_message(
                        period=PERIOD, statistic="Maximum", label=q.spec.logical_id
                    )
                    for q in queues
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Dead-letter queue depth",
                left=[
                    q.dlq.metric_approximate_number_of_messages_visible(
                        period=PERIOD, statistic="Maximum", label=f"{q.spec.logical_id} DLQ"
                    )
                    for q in queues
                ],
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Held, retried and parked deliveries",
                left=[
                    _metric(settings.METRIC_HELD, label="held (hook disabled or retry not due)"),
                    _metric(settings.METRIC_RETRIED, label="retries queued"),
                    _metric(settings.METRIC_PARKED, label="parked (disabled for good, expired, exhausted)"),
                    _metric(settings.METRIC_THROTTLED, label="throttled (namespace rate limit; they wait)"),
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Hooks disabled and contained",
                left=[
                    _metric(settings.METRIC_HOOKS_DISABLED, label="hooks disabled (temporarily or for good)"),
                    _metric(settings.METRIC_HOOK_UNREADABLE, label="deliveries to unreadable hooks"),
                ],
                width=12,
            ),
        )
        self.dashboard.add_widgets(cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24))
