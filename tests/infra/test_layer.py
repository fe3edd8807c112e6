"""The dependency layer built by `make layer` is the real thing for Lambda: cp313 on arm64, at the pinned versions."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from infra.constructs.function import LAYER_DIR

ROOT = Path(__file__).resolve().parents[2]
SITE = LAYER_DIR / "python"
ELF_MACHINE_AARCH64 = 0xB7


@pytest.fixture(scope="module")
def site() -> Path:
    if not SITE.is_dir():
        pytest.fail(f"{SITE.relative_to(ROOT)} is missing: run `make layer` (make test and make test-infra build it)")
    return SITE


@pytest.fixture(scope="module")
def installed(site: Path) -> dict[str, str]:
    """Distribution name → version of everything in the layer."""
    return {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions(path=[str(site)])}


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "layers" / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", f"layers/requirements.txt must pin exactly: {line}"
            pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def _is_aarch64_elf(path: Path) -> bool:
    header = path.read_bytes()[:20]
    return header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == ELF_MACHINE_AARCH64


def _one_extension(directory: Path, stem: str) -> Path:
    found = sorted(directory.glob(f"{stem}*.so"))
    assert found, f"no {stem}*.so in {directory}: the layer got a pure-Python stand-in"
    (extension,) = found
    assert extension.name == f"{stem}.cpython-313-aarch64-linux-gnu.so", extension.name
    assert _is_aarch64_elf(extension), f"{extension.name} is not an aarch64 ELF binary"
    return extension


def test_versions_match_the_pins(installed: dict[str, str]) -> None:
    pins = _pins()
    assert {name: installed.get(name) for name in pins} == pins


def test_real_pydantic_core(site: Path, installed: dict[str, str]) -> None:
    _one_extension(site / "pydantic_core", "_pydantic_core")
    version = installed["pydantic-core"]
    assert version != "0.0.1", "pip picked the bogus pydantic_core 0.0.1 wheel: build with both --platform flags"
    (dist_info,) = site.glob("pydantic_core-*.dist-info")
    assert dist_info.name == f"pydantic_core-{version}.dist-info"
    wheel_tags = re.findall(r"^Tag: (\S+)$", (dist_info / "WHEEL").read_text(), re.MULTILINE)
    assert wheel_tags and all(tag.startswith("cp313-cp313-") and tag.endswith("_aarch64") for tag in wheel_tags)


def test_pydantic_core_is_the_one_pydantic_requires(site: Path, installed: dict[str, str]) -> None:
    (pydantic,) = (d for d in metadata.distributions(path=[str(site)]) if d.metadata["Name"] == "pydantic")
    (core,) = (r for r in map(Requirement, pydantic.requires or []) if canonicalize_name(r.name) == "pydantic-core")
    assert installed["pydantic-core"] in core.specifier


def test_real_google_re2(site: Path, installed: dict[str, str]) -> None:
    _one_extension(site / "re2", "_re2")
    assert "google-re2" in installed


def test_real_brotli(site: Path, installed: dict[str, str]) -> None:
    _one_extension(site, "_brotli")
    assert "brotli" in installed


def test_no_bytecode_or_scripts(site: Path) -> None:
    assert not list(site.rglob("__pycache__"))
    assert not (site / "bin").exists()
    assert not (site / "boto3").exists(), "boto3 comes with the Lambda runtime"


def test_the_x_ray_sdk_is_in_the_layer(site: Path, installed: dict[str, str]) -> None:
    """Active tracing: Powertools' Tracer imports the X-Ray SDK at init, and the Lambda runtime does not have it."""
    assert "aws-xray-sdk" in installed and (site / "aws_xray_sdk" / "core").is_dir()
    assert "wrapt" in installed
