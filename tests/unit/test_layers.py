"""The layers' import rules: the API alone knows HTTP; the domain is pure (no AWS SDK, no outer layer)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "functions" / "hookline"


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of the file (functions' own imports too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _modules(*layers: str) -> list[Path]:
    return sorted(path for layer in layers for path in (PACKAGE / layer).rglob("*.py"))


def _offenders(paths: list[Path], *forbidden: str) -> dict[str, list[str]]:
    found = {
        path.name if not path.is_relative_to(PACKAGE) else str(path.relative_to(PACKAGE)): sorted(
            name for name in _imports(path) if any(name == f or name.startswith(f + ".") for f in forbidden)
        )
        for path in paths
    }
    return {module: names for module, names in found.items() if names}


@pytest.mark.parametrize("layer", ["services", "domain", "adapters"])
def test_no_layer_below_the_api_imports_it(layer: str) -> None:
    assert _modules(layer), f"no modules found in {layer}/"
    assert _offenders(_modules(layer), "hookline.api") == {}


def test_the_domain_imports_no_aws_sdk_and_no_outer_layer() -> None:
    outer = ("boto3", "botocore", "hookline.adapters", "hookline.services", "hookline.handlers", "hookline.wiring")
    assert _offenders(_modules("domain"), *outer) == {}


def test_no_lambda_code_imports_boto3() -> None:
    """botocore alone builds the clients: importing boto3 would cost each cold start ~120 ms (figure 8)."""
    assert _offenders(sorted(PACKAGE.rglob("*.py")), "boto3") == {}


def test_the_check_sees_an_offending_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from hookline.api.models import HookCreate\n    import boto3\n")
    assert _offenders([module], "hookline.api", "boto3") == {
        "bad.py": ["boto3", "hookline.api.models", "hookline.api.models.HookCreate"]
    }
