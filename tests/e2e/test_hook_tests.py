"""Hook tests as GitLab runs them, on the local stack: GitLab's sample of the trigger about the hook's real project,
422 for a trigger GitLab cannot test, and the system hook test's fixed sample as the answer."""

from __future__ import annotations

import gitlab
import pytest

from infra.local.receiver import Receiver, wait_until
from infra.local.stack import LocalStack
from tests.e2e.test_core_path import _put_event

PROJECT, PROJECT_ID = "samples/team/api", 4242


def test_a_project_hooks_test_is_gitlabs_sample_about_its_project(
    gl: gitlab.Gitlab, running: LocalStack, receiver: Receiver
) -> None:
    hooks = gl.projects.get(PROJECT, lazy=True).hooks
    hook = hooks.create({"url": receiver.url("/samples"), "job_events": True})
    try:
        # an event that names the project's id and path: Hookline now knows both
        _put_event(running, "Push Hook", {"scope": {"project": {"id": PROJECT_ID, "path": PROJECT}}, "payload": {}})
        receiver.wait_for(lambda requests: len(requests) == 1)
        wait_until(lambda: gl.http_get(f"/projects/{PROJECT_ID}")["path_with_namespace"] == PROJECT)

        hook.test("job_events")
        (request,) = receiver.wait_for(lambda requests: len(requests) == 2)[1:]
        job = request.json
        assert request.headers["X-Gitlab-Event"] == "Job Hook"
        assert (job["object_kind"], job["build_name"], job["project_id"]) == ("build", "test", PROJECT_ID)
        assert job["project"]["path_with_namespace"] == PROJECT
        assert job["project"]["web_url"] == f"{running.api_url}/{PROJECT}"

        hook.custom_webhook_template = '{"job": "{{build_name}}", "in": "{{project.web_url}}"}'
        hook.save()
        hook.test("job_events")
        rendered = receiver.wait_for(lambda requests: len(requests) == 3)[2]
        assert rendered.json == {"job": "test", "in": f"{running.api_url}/{PROJECT}"}
    finally:
        hook.delete()


@pytest.mark.parametrize("trigger", ["deployment_events", "feature_flag_events", "milestone_events"])
def test_a_trigger_gitlab_cannot_test_is_a_422_and_sends_nothing(
    gl: gitlab.Gitlab, receiver: Receiver, trigger: str
) -> None:
    hook = gl.projects.get(PROJECT, lazy=True).hooks.create({"url": receiver.url("/untestable")})
    try:
        with pytest.raises(gitlab.GitlabHookTestError) as refused:
            hook.test(trigger)
        assert refused.value.response_code == 422
        assert refused.value.error_message == "Testing not available for this hook"
        assert receiver.requests == []
    finally:
        hook.delete()


def test_a_group_hook_is_tested_with_a_project_of_the_group(gl: gitlab.Gitlab, receiver: Receiver) -> None:
    hook = gl.groups.get("samples/team", lazy=True).hooks.create({"url": receiver.url("/group")})
    try:
        hook.test("project_events")
        hook.test("merge_requests_events")
        project_event, merge_request = receiver.wait_for(lambda requests: len(requests) == 2)
        assert project_event.headers["X-Gitlab-Event"] == "Project Hook"
        assert project_event.json["event_name"] == "project_create"
        assert project_event.json["path_with_namespace"] == "samples/team/sample-project"
        assert merge_request.json["project"]["web_url"].endswith("/samples/team/sample-project")
        with pytest.raises(gitlab.GitlabHookTestError) as refused:
            hook.test("member_events")
        assert refused.value.response_code == 422
    finally:
        hook.delete()


def test_the_system_hook_test_sends_and_answers_gitlabs_project_create_sample(
    gl: gitlab.Gitlab, receiver: Receiver
) -> None:
    hook = gl.hooks.create({"url": receiver.url("/system"), "push_events": False})
    sample = {
        "event_name": "project_create",
        "name": "Ruby",
        "path": "ruby",
        "project_id": 1,
        "owner_name": "Someone",
        "owner_email": "example@gitlabhq.com",
    }
    try:
        assert gl.http_post(f"/hooks/{hook.id}") == sample
        (request,) = receiver.wait_for(lambda requests: len(requests) == 1)
        assert request.headers["X-Gitlab-Event"] == "System Hook" and request.json == sample
        receiver.statuses["/system"] = 500  # GitLab answers with the sample whatever the receiver says
        assert gl.http_post(f"/hooks/{hook.id}") == sample
    finally:
        hook.delete()
