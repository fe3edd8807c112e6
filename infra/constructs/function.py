"""The one way every Hookline Lambda function is built, and the dependency layer they all share."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from hookline.settings import FUNCTION_ENVIRONMENT, FunctionSpec
from infra.nag import acknowledge

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = ROOT / "functions"
#: Built by `make layer` (layers/build.sh); Lambda puts its python/ folder on sys.path.
LAYER_DIR = ROOT / "layers" / "build"

RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
LOG_RETENTION = logs.RetentionDays.ONE_MONTH

_CODE_EXCLUDES = ["**/__pycache__", "**/*.pyc", "*.egg-info", ".mypy_cache", ".pytest_cache", ".ruff_cache"]


def dependency_layer(scope: Construct, construct_id: str = "Dependencies") -> lambda_.LayerVersion:
    """The layer with layers/requirements.txt, built for RUNTIME on ARCHITECTURE."""
    if not (LAYER_DIR / "python").is_dir():
        raise FileNotFoundError(f"{LAYER_DIR.relative_to(ROOT)}/python is missing: run `make layer` first")
    return lambda_.LayerVersion(
        scope,
        construct_id,
        code=lambda_.Code.from_asset(str(LAYER_DIR), exclude=[".built"]),
        compatible_runtimes=[RUNTIME],
        compatible_architectures=[ARCHITECTURE],
        description="Hookline runtime dependencies (layers/requirements.txt)",
    )


class HooklineFunction(Construct):
    """A function from a FunctionSpec: its own role and log group, the shared layer, X-Ray and Powertools settings.

    The role starts empty apart from writing to the function's own log group (and X-Ray); callers grant the rest.
    """

    def __init__(
        self,
        scope: Construct,
        spec: FunctionSpec,
        *,
        layer: lambda_.ILayerVersion,
        environment: Mapping[str, str],
    ) -> None:
        super().__init__(scope, spec.logical_id)
        self.spec = spec
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of Hookline's {spec.logical_id}",
        )
        self.log_group = logs.LogGroup(self, "Logs", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY)
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=lambda_.Code.from_asset(str(FUNCTIONS_DIR), exclude=_CODE_EXCLUDES),
            handler=spec.handler,
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_s),
            layers=[layer],
            role=self.role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
            environment={
                **FUNCTION_ENVIRONMENT,
                **spec.environment,
                **environment,
            },
            description=f"Hookline {spec.logical_id} ({spec.handler})",
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "Active X-Ray tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no "
            "resource-level permissions; every other statement of this role is scoped to a resource.",
        )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "Python 3.13 is pinned on purpose: the dependency layer (make layer) is built for cp313 on arm64, and the "
            "runtime is raised together with the layer, not by the newest runtime CDK knows about.",
        )

    def add_environment(self, name: str, value: str) -> None:
        """Set one more environment variable on the function."""
        self.function.add_environment(name, value)
