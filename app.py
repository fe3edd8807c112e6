#!/usr/bin/env python3
"""CDK entry point (see cdk.json): synthesizes HooklineStack under the cdk-nag AwsSolutions checks."""

from aws_cdk import App

from infra.stack import build

app = App()
build(app)
app.synth()
