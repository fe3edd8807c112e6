"""cdk-nag's AwsSolutions pack: no unacknowledged finding, and every acknowledgement says why."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from aws_cdk import App, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

from infra.stack import build

ACKNOWLEDGED = Validations.ACKNOWLEDGED_RULES_METADATA_KEY


def _acknowledgements(root: IConstruct) -> list[tuple[str, str, str]]:
    """(construct path, rule id, reason) of every acknowledgement under root."""
    found = []
    for construct in root.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == ACKNOWLEDGED:
                for rule_id, reason in entry.data.items():
                    found.append((construct.node.path, rule_id, reason))
    return found


def test_no_unacknowledged_findings(stack: Stack) -> None:
    report = AwsSolutionsChecks(verbose=True).validate_scope(stack.node.root)
    findings = [
        f"{v.severity} {v.rule_name} at {', '.join(r.construct_path or '?' for r in v.violating_resources)}"
        for v in report.violations
    ]
    # Warnings fail `cdk synth` as well: the pack reports failure on any violation.
    assert findings == [], "\n".join(findings)


def test_every_acknowledgement_has_a_specific_reason(stack: Stack) -> None:
    acknowledgements = _acknowledgements(stack.node.root)
    assert acknowledgements, "expected the stack's documented acknowledgements"
    for path, rule_id, reason in acknowledgements:
        assert re.fullmatch(r"(Annotation::)?AwsSolutions-[A-Z]+\d+(\[.+\])?", rule_id), (path, rule_id)
        assert isinstance(reason, str) and len(reason.strip()) >= 40, f"{path}: {rule_id} needs a real reason"


def test_acknowledgements_sit_on_the_resources_not_the_stack(stack: Stack) -> None:
    paths = {path for path, _, _ in _acknowledgements(stack.node.root)}
    assert paths and stack.node.path not in paths
    assert all(path.count("/") >= 2 for path in paths), paths


def test_app_synthesizes_with_the_checks(cdk_context: dict[str, Any], tmp_path: Path) -> None:
    """What `make synth` runs (app.py → build): synthesis raises on any unacknowledged finding."""
    app = App(context=cdk_context, outdir=str(tmp_path))
    build(app)
    app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert [r["pluginName"] for r in report["pluginReports"] if r["conclusion"] != "success"] == []
    nag_findings = [v for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions" for v in r["violations"]]
    assert nag_findings == []
    assert (tmp_path / "Hookline.template.json").is_file()
