"""Monitoring: a dashboard and alarms (to an SNS topic) on DLQs, queue age, hooks that cannot be read, the delivery
failure rate, hooks held by their concurrency limit, each function's errors, throttles and duration, and the API's 5xx
answers and latency; a dashboard row for fairness between tenants.

The function and API alarms and their widgets come from cdk-monitoring-constructs (its Lambda and API Gateway
monitorings, with its default alarm names, `<stack>-<function>-…`); the queue and delivery alarms read Hookline's own
queues and custom metrics and are written here.
"""

from __future__ import annotations

import cdk_monitoring_constructs as monitoring
from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from hookline import settings
from hookline.settings import DELIVERY_QUEUE, INGEST_QUEUE, METRICS_NAMESPACE, SERVICE_NAME
from infra.constructs.function import HooklineFunction
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

#: A function's p99 duration above this share of its timeout (settings' FunctionSpec) means it is about to time out.
DURATION_TIMEOUT_PERCENT = 80
#: The API's p99 latency (API Gateway's `Latency`, request in to answer out) that pages: a cold start is about 1 s,
#: a warm request tens of milliseconds; 5 s over three periods means the API is slow for everyone.
API_LATENCY_P99 = Duration.seconds(5)
#: Share of deliveries that failed (4xx, 5xx, internal errors) over three periods that pages, when at least
#: FAILURE_RATE_MIN_DELIVERIES were sent in the period (a single failure among three deliveries is a receiver's matter).
FAILURE_RATE_PERCENT = 25
FAILURE_RATE_MIN_DELIVERIES = 20
#: Hooks held by their concurrency limit: some hook's deliveries waited for a slot in every period for this long.
#: A hook at its limit now and then is the limit doing its job; for 15 minutes, its receiver is slow or its limit low.
HELD_BY_LIMIT_PERIODS = 3
#: What an SQS fair queue publishes beside its usual metrics (AWS/SQS, dimension QueueName): the quiet tenants' view.
QUIET_AGE = "ApproximateAgeOfOldestMessageInQuietGroups"
QUIET_VISIBLE = "ApproximateNumberOfMessagesVisibleInQuietGroups"
NOISY_GROUPS = "ApproximateNumberOfNoisyGroups"
#: The key cdk-monitoring-constructs names each alarm with (its "disambiguator").
SEVERITY = "Critical"


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

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        queues: list[WorkQueue],
        functions: list[HooklineFunction],
        rest_api: apigw.RestApi,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "AlarmTopic", display_name="Hookline alarms", enforce_ssl=True)
        action = cloudwatch_actions.SnsAction(self.topic)

        self.alarms: list[cloudwatch.AlarmBase] = []
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

        failure_rate = self._delivery_failure_rate().create_alarm(
            self,
            "DeliveryFailureRate",
            alarm_description=f"More than {FAILURE_RATE_PERCENT}% of deliveries failed (4xx, 5xx or internal error) "
            f"in three periods of {PERIOD.to_human_string()} with at least {FAILURE_RATE_MIN_DELIVERIES} deliveries "
            "each: many receivers are failing at once, or Hookline cannot reach them (DNS, egress, TLS). The "
            "dashboard's 'Deliveries' graph shows which kind.",
            threshold=FAILURE_RATE_PERCENT,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=3,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        failure_rate.add_alarm_action(action)
        failure_rate.add_ok_action(action)
        self.alarms.append(failure_rate)

        at_limit = _metric(settings.METRIC_HOOKS_AT_LIMIT, "Maximum").create_alarm(
            self,
            "HooksHeldByConcurrencyLimit",
            alarm_description="Some hook's deliveries waited for its concurrency limit in every batch period for "
            f"{(PERIOD.to_minutes() * HELD_BY_LIMIT_PERIODS):.0f} minutes: its receiver answers slowly, or its "
            "concurrency_limit is too low for its traffic. Its deliveries are held, not lost (dashboard: 'Fairness: "
            "held by the concurrency limit'); check the hook's Recent events and the receiver, or raise its limit.",
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=HELD_BY_LIMIT_PERIODS,
            datapoints_to_alarm=HELD_BY_LIMIT_PERIODS,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        at_limit.add_alarm_action(action)
        at_limit.add_ok_action(action)
        self.alarms.append(at_limit)

        self.segments = self._functions_and_api(functions, rest_api)
        for segment in self.segments:
            self.alarms.extend(created.alarm for created in segment.created_alarms())

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
        self.dashboard.add_widgets(*self._fairness_row(queues))
        for segment in self.segments:
            self.dashboard.add_widgets(*segment.summary_widgets())
        self.dashboard.add_widgets(cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24))

    @staticmethod
    def _fairness_row(queues: list[WorkQueue]) -> list[cloudwatch.IWidget]:
        """Fairness between tenants: the delivery queue's age for everyone and for quiet tenants (SQS fair queues
        publish the latter; cdk-monitoring-constructs has no widget for them yet), noisy tenants, and the deliveries
        the per-hook concurrency limit and the namespace rate limit hold."""
        delivery = next(q for q in queues if q.spec is DELIVERY_QUEUE)

        def sqs(name: str, label: str, queue: WorkQueue = delivery) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/SQS",
                metric_name=name,
                dimensions_map={"QueueName": queue.queue.queue_name},
                statistic="Maximum",
                period=PERIOD,
                label=label,
            )

        ages = [sqs("ApproximateAgeOfOldestMessage", "delivery: every tenant"), sqs(QUIET_AGE, "delivery: quiet")]
        ages += [
            sqs("ApproximateAgeOfOldestMessage", f"{q.spec.logical_id} (no groups)", q)
            for q in queues
            if q is not delivery
        ]
        return [
            cloudwatch.GraphWidget(title="Fairness: queue age per class (s)", left=ages, width=8),
            cloudwatch.GraphWidget(
                title="Fairness: noisy tenants and the quiet backlog",
                left=[sqs(NOISY_GROUPS, "noisy tenants (message groups)")],
                right=[sqs(QUIET_VISIBLE, "quiet tenants' messages waiting")],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Fairness: held by the concurrency limit",
                left=[
                    _metric(settings.METRIC_HELD_BY_GATE, label="deliveries held by a hook's concurrency limit"),
                    _metric(settings.METRIC_THROTTLED, label="deliveries held by the namespace rate limit"),
                ],
                right=[_metric(settings.METRIC_HOOKS_AT_LIMIT, "Maximum", "hooks at their limit (most in a batch)")],
                width=8,
            ),
        ]

    @staticmethod
    def _delivery_failure_rate() -> cloudwatch.MathExpression:
        """Failed ÷ all deliveries in %, from the counts the sender publishes once per batch (a zero count is not
        published, hence FILL); 0 below FAILURE_RATE_MIN_DELIVERIES deliveries."""
        failed = {f"failed{i}": _metric(name) for i, name in enumerate(DELIVERY_FAILED)}
        total_failed = " + ".join(f"FILL({name}, 0)" for name in failed)
        return cloudwatch.MathExpression(
            expression=f"IF(deliveries >= {FAILURE_RATE_MIN_DELIVERIES}, 100 * ({total_failed}) / deliveries, 0)",
            using_metrics={"deliveries": _metric(DELIVERIES), **failed},
            label="Delivery failure rate (%)",
            period=PERIOD,
        )

    def _functions_and_api(
        self, functions: list[HooklineFunction], rest_api: apigw.RestApi
    ) -> list[monitoring.Monitoring]:
        """Errors, throttles and p99 duration near the timeout of each function; the API's 5xx and p99 latency."""
        topic_action = monitoring.SnsAlarmActionStrategy(on_alarm_topic=self.topic, on_ok_topic=self.topic)
        facade = monitoring.MonitoringFacade(
            self,
            "Facade",
            alarm_factory_defaults=monitoring.AlarmFactoryDefaults(
                alarm_name_prefix=Stack.of(self).stack_name,
                actions_enabled=True,
                action=topic_action,
                datapoints_to_alarm=1,
                evaluation_periods=1,
            ),
            metric_factory_defaults=monitoring.MetricFactoryDefaults(period=PERIOD),
            # The widgets go on this construct's dashboard: no dashboards of the library's own (each costs $3/month).
            dashboard_factory=monitoring.DefaultDashboardFactory(
                self,
                "Dashboards",
                dashboard_name_prefix=Stack.of(self).stack_name,
                create_dashboard=False,
                create_summary_dashboard=False,
                create_alarm_dashboard=False,
            ),
        )
        none_allowed = {SEVERITY: monitoring.ErrorCountThreshold(max_error_count=0)}
        segments: list[monitoring.Monitoring] = []
        for function in functions:
            segments.append(
                monitoring.LambdaFunctionMonitoring(
                    facade,
                    lambda_function=function.function,
                    alarm_friendly_name=function.spec.logical_id,
                    human_readable_name=function.spec.logical_id,
                    add_fault_count_alarm=none_allowed,
                    add_throttles_count_alarm=none_allowed,
                    add_latency_p99_alarm={
                        SEVERITY: monitoring.LatencyTimeoutPercentageThreshold(
                            max_latency_percentage_of_timeout=DURATION_TIMEOUT_PERCENT,
                            datapoints_to_alarm=3,
                            evaluation_periods=3,
                        )
                    },
                )
            )
        segments.append(
            monitoring.ApiGatewayMonitoring(
                facade,
                api=rest_api,
                api_stage=rest_api.deployment_stage.stage_name,
                alarm_friendly_name="Api",
                human_readable_name="Management API (/api/v4)",
                add5_xx_fault_count_alarm=none_allowed,
                add_latency_p99_alarm={
                    SEVERITY: monitoring.LatencyThreshold(
                        max_latency=API_LATENCY_P99, datapoints_to_alarm=3, evaluation_periods=3
                    )
                },
            )
        )
        for segment in segments:
            facade.add_segment(segment)
        return segments
