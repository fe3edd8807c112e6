"""cdk-nag (3.x) wiring: the AwsSolutions pack runs as a CDK validation plugin during synth."""

from __future__ import annotations

from typing import cast

from aws_cdk import Acknowledgment, App, CfnElement, Stack, Validations
from aws_cdk import aws_dynamodb as dynamodb
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

#: Why a table grant may cover <table arn>/index/*: CDK adds it to every grant on a table that has indexes.
INDEX_WILDCARD_REASON = (
    "CDK's table grants also cover <table arn>/index/* because the hooks table has a GSI (by_scope, which the API "
    "queries to list a scope's hooks); the wildcard spans only that table's own indexes, never another table."
)


def add_nag_checks(app: App) -> AwsSolutionsChecks:
    """Register the AwsSolutions checks on the app; synth fails on any finding not acknowledged."""
    checks = AwsSolutionsChecks(app, verbose=True)
    Validations.of(app).add_plugins(checks)
    return checks


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding on scope and everything under it; the reason must say why it is acceptable."""
    if len(reason.strip()) < 20:
        raise ValueError(f"acknowledging {rule_id} needs a specific reason, got {reason!r}")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def index_wildcard_finding(table: dynamodb.ITable) -> str:
    """The IAM5 finding id of a grant on table: CDK also grants <table arn>/index/* when the table has indexes."""
    logical_id = Stack.of(table).get_logical_id(cast(CfnElement, table.node.default_child))
    return f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>/index/*]"
