"""The stack under test, synthesized once for the whole infra tier with cdk.json's context, as `cdk synth` does."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from aws_cdk import App, CfnElement
from aws_cdk.assertions import Template
from constructs import IConstruct

from infra.stack import STACK_NAME, HooklineStack

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cdk_context() -> dict[str, Any]:
    """The context block of cdk.json (feature flags), which the CDK CLI hands to app.py."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return context


@pytest.fixture(scope="session")
def app(cdk_context: dict[str, Any]) -> App:
    return App(context=cdk_context)


@pytest.fixture(scope="session")
def stack(app: App) -> HooklineStack:
    return HooklineStack(app, STACK_NAME)


@pytest.fixture(scope="session")
def template(stack: HooklineStack) -> Template:
    return Template.from_stack(stack)


@pytest.fixture(scope="session")
def resources(template: Template) -> dict[str, Any]:
    """The synthesized Resources section, by logical id."""
    found: dict[str, Any] = template.to_json()["Resources"]
    return found


@pytest.fixture(scope="session")
def logical_id(stack: HooklineStack) -> Callable[[IConstruct], str]:
    """Logical id of an L2 construct's CloudFormation resource (or of a CfnElement itself)."""

    def get(construct: IConstruct) -> str:
        element = construct if isinstance(construct, CfnElement) else construct.node.default_child
        return stack.get_logical_id(cast(CfnElement, element))

    return get
