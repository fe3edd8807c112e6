"""GitLab clients as new users run them, unmodified, against the running local stack: python-gitlab's ``gitlab``
CLI configured the ordinary way (no ``--skip-login``), python-gitlab's ``auth()`` and ``version()``, and gitbeaker
(``@gitbeaker/rest``) from a node script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import gitlab
import httpx

from hookline import settings
from hookline.clock import CLOCK
from hookline.config import runtime_config
from infra.local.receiver import Receiver
from infra.local.stack import LocalStack

ROOT = Path(__file__).resolve().parents[2]
GITLAB_CLI = Path(sys.executable).parent / "gitlab"
GITBEAKER_SCRIPT = ROOT / "tests" / "e2e" / "clients" / "gitbeaker.mjs"
TIMEOUT_S = 120


def _admin(running: LocalStack, path: str) -> httpx.Response:
    return httpx.get(f"{running.api_url}/api/v4{path}", headers={"PRIVATE-TOKEN": running.admin_token})


def test_user_version_and_metadata_answer_as_gitlab_does(gl: gitlab.Gitlab, running: LocalStack) -> None:
    gl.auth()  # GET /user: fails on a 404
    assert gl.user is not None
    admin = gl.user.asdict()
    assert (admin["id"], admin["username"], admin["name"], admin["is_admin"], admin["bot"]) == (
        1,
        "root",
        "Administrator",
        True,
        False,
    )
    assert {"state", "web_url", "email", "can_create_group", "two_factor_enabled", "identities"} <= set(admin)
    assert gl.version() == (runtime_config().gitlab_version, settings.GITLAB_REVISION)
    assert _admin(running, "/metadata").json() == {
        "version": runtime_config().gitlab_version,
        "revision": settings.GITLAB_REVISION,
        "kas": {"enabled": False, "externalUrl": None, "externalK8sProxyUrl": None, "version": None},
        "enterprise": False,
    }

    made = gl.projects.get("clients/user", lazy=True).access_tokens.create({"name": "ci bot", "scopes": ["api"]})
    as_token = gitlab.Gitlab(running.api_url, private_token=made.token)
    as_token.auth()
    assert as_token.user is not None
    bot = as_token.user.asdict()
    assert (bot["id"], bot["name"], bot["bot"], bot["state"]) == (made.user_id, "ci bot", True, "active")
    assert bot["username"].startswith("project_0_bot_") and len(bot["username"].rsplit("_", 1)[1]) == 32
    assert "is_admin" not in bot  # GitLab's UserPublic for anyone but an administrator
    assert as_token.version()[0] == runtime_config().gitlab_version
    unauthenticated = httpx.get(f"{running.api_url}/api/v4/user")
    assert (unauthenticated.status_code, unauthenticated.json()) == (401, {"message": "401 Unauthorized"})


def _cli(config: Path, *args: str) -> Any:
    done = subprocess.run(
        [str(GITLAB_CLI), "-c", str(config), "-o", "json", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, f"gitlab {' '.join(args)}: {done.stderr or done.stdout}"
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_the_gitlab_cli_manages_project_group_and_system_hooks(running: LocalStack, tmp_path: Path) -> None:
    config = tmp_path / "python-gitlab.cfg"
    config.write_text(
        f"[global]\ndefault = local\ntimeout = 30\n\n"
        f"[local]\nurl = {running.api_url}\nprivate_token = {running.admin_token}\napi_version = 4\n"
    )
    for resource, parent in (
        ("project-hook", ("--project-id", "clients/cli")),
        ("group-hook", ("--group-id", "clients")),
    ):
        created = _cli(config, resource, "create", *parent, "--url", "https://u:p@example.invalid/cli",
                       "--token", "cli-secret", "--push-events", "true")  # fmt: skip
        hook_id = str(created["id"])
        assert (created["url"], created["token_present"]) == ("https://[REDACTED]@example.invalid/cli", True)
        assert [hook["id"] for hook in _cli(config, resource, "list", *parent)] == [created["id"]]
        assert _cli(config, resource, "get", *parent, "--id", hook_id)["url"] == created["url"]
        # the CLI's update sends the url it is given: the one shown, which changes nothing
        updated = _cli(config, resource, "update", *parent, "--id", hook_id, "--url", created["url"],
                       "--push-events", "false", "--issues-events", "true")  # fmt: skip
        assert (updated["push_events"], updated["issues_events"], updated["token_present"]) == (False, True, True)
        _cli(config, resource, "delete", *parent, "--id", hook_id)
        assert _cli(config, resource, "list", *parent) == []

    system = _cli(config, "hook", "create", "--url", "https://example.invalid/system")
    assert [hook["id"] for hook in _cli(config, "hook", "list")] == [system["id"]]
    assert _cli(config, "hook", "get", "--id", str(system["id"]))["url"] == "https://example.invalid/system"
    _cli(config, "hook", "delete", "--id", str(system["id"]))  # python-gitlab has no `hook update`
    assert _cli(config, "hook", "list") == []

    # the environment variables work as well as a configuration file
    env = {**os.environ, "GITLAB_URL": running.api_url, "GITLAB_PRIVATE_TOKEN": running.admin_token}
    done = subprocess.run(
        [str(GITLAB_CLI), "-o", "json", "current-user", "get"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["username"] == "root"


def test_gitbeaker_manages_hooks_and_access_tokens(running: LocalStack, receiver: Receiver) -> None:
    """Every call gitbeaker has for project, group and system hooks and for access tokens, as its users make them."""
    assert (ROOT / "node_modules" / "@gitbeaker" / "rest").is_dir(), "run make install (npm install) first"
    env = {
        **os.environ,
        "HOOKLINE_API_URL": running.api_url,
        "HOOKLINE_TOKEN": running.admin_token,
        "HOOKLINE_RECEIVER_URL": receiver.base_url,
        "HOOKLINE_PROJECT": "gitbeaker/svc",
        "HOOKLINE_GROUP": "gitbeaker",
    }
    done = subprocess.run(
        ["node", str(GITBEAKER_SCRIPT)], env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    failed = {step: result for step, result in results.items() if "ok" not in result}
    assert failed == {
        "project.gone": {"error": {"status": 404, "body": "404 Not found"}},
        "group.gone": {"error": {"status": 404, "body": "404 Not found"}},
    }
    answers = {step: result["ok"] for step, result in results.items() if "ok" in result}
    for kind in ("project", "group"):
        made = answers[f"{kind}.add"]
        assert (made["url"], made["push_events"], made["token_present"]) == (receiver.url(f"/{kind}"), True, True)
        assert [hook["id"] for hook in answers[f"{kind}.all"]] == [made["id"]]
        assert answers[f"{kind}.show"] == made
        edited = answers[f"{kind}.edit"]
        assert (edited["push_events"], edited["issues_events"], edited["token_present"]) == (False, True, True)
        assert answers[f"{kind}.remove"] is None
    system = answers["system.add"]
    assert [hook["id"] for hook in answers["system.all"]] == [system["id"]]
    # gitbeaker's SystemHooks.show POSTs /hooks/:id, which is GitLab's system hook test: it answers as the test does
    assert isinstance(answers["system.test"], dict) and answers["system.show"] == answers["system.test"]
    assert len(receiver.to("/system")) == 2 and answers["system.remove"] is None

    week = (CLOCK.now().date() + timedelta(days=7)).isoformat()
    for kind in ("project_token", "group_token"):
        made = answers[f"{kind}.create"]
        assert (made["name"], made["access_level"], made["token"].startswith("glpat-")) == ("gitbeaker", 30, True)
        shown = {key: value for key, value in made.items() if key != "token"}
        assert answers[f"{kind}.all"] == [shown] and answers[f"{kind}.show"] == shown
        rotated = answers[f"{kind}.rotate"]
        assert (rotated["user_id"], rotated["expires_at"], rotated["active"]) == (made["user_id"], week, True)
        assert rotated["token"] != made["token"] and answers[f"{kind}.revoke"] is None
        assert (answers[f"{kind}.revoked"]["revoked"], answers[f"{kind}.revoked"]["active"]) == (True, False)
