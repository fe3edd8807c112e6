"""Hook test samples compared field by field with GitLab's documented payloads.

The tables are transcribed from GitLab's webhook events documentation (doc/user/project/integrations/
webhook_events.md), one section per kind, as ``key:type`` (s string, n number, b boolean, l list, d object, ? null in
the example). A sample has every documented key but the ``optional`` ones (GitLab sends those only in some cases),
and no other key but the ``extra`` ones, which GitLab's data builder named beside them adds. A value of a documented
type must have that type; ``null`` is allowed wherever GitLab may send null for a record's unset field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from hookline.domain.events import TRIGGERS_BY_KIND, HookKind
from hookline.domain.samples import (
    SYSTEM_HOOK_TEST_SAMPLE,
    TESTABLE_TRIGGERS,
    SampleProject,
    sample_payload,
    sample_project,
)
from hookline.domain.templates import render_template

NOW = datetime(2025, 6, 16, 14, 10, 57, tzinfo=UTC)
INSTANCE = "https://gitlab.example.test"
PROJECT = SampleProject(42, "acme/platform/api")

_TYPES = {
    "s": (str,),
    "n": (int, float),
    "b": (bool,),
    "l": (list,),
    "d": (dict,),
}


def keys(spec: str) -> dict[str, str]:
    return dict(item.split(":") for item in spec.split())


@dataclass(frozen=True)
class Shape:
    """Documented keys of one object of a payload (``path``: dotted, ``0`` for a list's first item)."""

    spec: str
    extra: str = ""
    optional: str = ""
    documented: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "documented", keys(self.spec))


# --- objects shared by many kinds ---------------------------------------------------------------------------------
#: "Work item events": the project object (Project#hook_attrs, with its backward-compatible fields).
PROJECT_OBJECT = Shape(
    "id:n name:s description:s web_url:s avatar_url:? git_ssh_url:s git_http_url:s namespace:s visibility_level:n "
    "path_with_namespace:s default_branch:s ci_config_path:? homepage:s url:s ssh_url:s http_url:s"
)
#: "Pipeline events" / "Job events": Project#hook_attrs(backward: false); the examples leave out ci_config_path.
PROJECT_OBJECT_CI = Shape(
    "id:n name:s description:s web_url:s avatar_url:? git_ssh_url:s git_http_url:s namespace:s visibility_level:n "
    "path_with_namespace:s default_branch:s",
    extra="ci_config_path",
)
#: "Work item events": the user object (User#hook_attrs).
USER_OBJECT = Shape("id:n name:s username:s avatar_url:s email:s")
#: "Emoji events": a note's hook attributes (Gitlab::HookData::NoteBuilder).
NOTE_OBJECT = Shape(
    "attachment:? author_id:n change_position:? commit_id:? created_at:s discussion_id:s id:n line_code:? note:s "
    "noteable_id:n noteable_type:s original_position:? position:? project_id:n resolved_at:? resolved_by_id:? "
    "resolved_by_push:? st_diff:? system:b type:? updated_at:s updated_by_id:? description:s url:s"
)
#: "Emoji events": an issue's hook attributes (Gitlab::HookData::IssueBuilder).
ISSUE_OBJECT_SPEC = (
    "author_id:n closed_at:? confidential:b created_at:s description:s discussion_locked:? due_date:? id:n iid:n "
    "last_edited_at:? last_edited_by_id:? milestone_id:? moved_to_id:? duplicated_to_id:? project_id:n "
    "relative_position:n state_id:n time_estimate:n title:s updated_at:s updated_by_id:? weight:? health_status:? "
    "url:s total_time_spent:n time_change:n human_total_time_spent:? human_time_change:? human_time_estimate:? "
    "assignee_ids:l assignee_id:n labels:l state:s severity:s"
)
ISSUE_OBJECT = Shape(ISSUE_OBJECT_SPEC)
COMMIT_OBJECT = Shape("id:s message:s title:s timestamp:s url:s author:d")

SHAPES: dict[str, tuple[str, dict[str, Shape]]] = {
    "push_events": (
        "Push events",
        {
            "": Shape(
                "object_kind:s event_name:s before:s after:s ref:s ref_protected:b checkout_sha:s user_id:n "
                "user_name:s user_username:s user_email:s user_avatar:s project_id:n project:d repository:d "
                "commits:l total_commits_count:n"
            ),
            "project": Shape(PROJECT_OBJECT.spec.replace(" ci_config_path:?", ""), extra="ci_config_path"),
            "repository": Shape(
                "name:s url:s description:s homepage:s git_http_url:s git_ssh_url:s visibility_level:n"
            ),
            "commits.0": Shape("id:s message:s title:s timestamp:s url:s author:d added:l modified:l removed:l"),
        },
    ),
    "tag_push_events": (
        "Tag events",
        {
            "": Shape(
                "object_kind:s event_name:s before:s after:s ref:s ref_protected:b checkout_sha:s user_id:n "
                "user_name:s user_avatar:s project_id:n project:d repository:d commits:l total_commits_count:n",
                extra="user_username user_email",  # Gitlab::DataBuilder::Push.build, as in the push example
            ),
            "project": Shape(PROJECT_OBJECT.spec.replace(" ci_config_path:?", ""), extra="ci_config_path"),
        },
    ),
    "issues_events": (
        "Work item events",
        {
            "": Shape(
                "object_kind:s event_type:s user:d project:d object_attributes:d repository:d assignees:l "
                "assignee:d labels:l changes:d"
            ),
            "user": USER_OBJECT,
            "project": PROJECT_OBJECT,
            "object_attributes": Shape(
                "id:n title:s assignee_ids:l assignee_id:n author_id:n project_id:n created_at:s updated_at:s "
                "updated_by_id:n last_edited_at:? last_edited_by_id:? relative_position:n description:s "
                "milestone_id:? state_id:n confidential:b discussion_locked:b due_date:? moved_to_id:? "
                "duplicated_to_id:? time_estimate:n total_time_spent:n time_change:n human_total_time_spent:? "
                "human_time_estimate:? human_time_change:? weight:? health_status:s type:s iid:n url:s state:s "
                "action:s severity:s escalation_status:s escalation_policy:d labels:l",
                optional="escalation_status escalation_policy",  # incidents only
            ),
            "repository": Shape("name:s url:s description:s homepage:s"),
        },
    ),
    "note_events": (
        "Comment events: Comment on an issue",
        {
            "": Shape(
                "object_kind:s event_type:s user:d project_id:n project:d repository:d object_attributes:d issue:d"
            ),
            "project": PROJECT_OBJECT,
            "object_attributes": Shape(
                "id:n note:s noteable_type:s author_id:n created_at:s updated_at:s project_id:n attachment:? "
                "line_code:? commit_id:s noteable_id:n system:b st_diff:? action:s url:s",
                extra="change_position discussion_id original_position position resolved_at resolved_by_id "
                "resolved_by_push type updated_by_id description",  # NoteBuilder, as in the emoji example
            ),
            "issue": Shape(
                "id:n title:s assignee_ids:l assignee_id:n author_id:n project_id:n created_at:s updated_at:s "
                "position:n branch_name:? description:s milestone_id:? state:s iid:n labels:l",
                extra=" ".join(keys(ISSUE_OBJECT_SPEC)),  # IssueBuilder, as in the emoji example
            ),
        },
    ),
    "merge_requests_events": (
        "Merge request events",
        {
            "": Shape(
                "object_kind:s event_type:s user:d project:d repository:d object_attributes:d labels:l changes:d "
                "assignees:l reviewers:l"
            ),
            "project": PROJECT_OBJECT,
            "object_attributes": Shape(
                "id:n iid:n target_branch:s source_branch:s source_project_id:n author_id:n assignee_ids:l "
                "assignee_id:n reviewer_ids:l title:s created_at:s updated_at:s last_edited_at:s "
                "last_edited_by_id:n milestone_id:? state_id:n state:s blocking_discussions_resolved:b "
                "work_in_progress:b draft:b first_contribution:b merge_status:s target_project_id:n description:s "
                "prepared_at:s total_time_spent:n time_change:n human_total_time_spent:s human_time_change:s "
                "human_time_estimate:s url:s source:d target:d last_commit:d labels:l action:s "
                "detailed_merge_status:s oldrev:s",
                optional="oldrev",  # only when code changed
            ),
            "object_attributes.source": PROJECT_OBJECT,
            "object_attributes.last_commit": COMMIT_OBJECT,
        },
    ),
    "wiki_page_events": (
        "Wiki page events",
        {
            "": Shape("object_kind:s user:d project:d wiki:d object_attributes:d"),
            "project": PROJECT_OBJECT,
            "wiki": Shape("web_url:s git_ssh_url:s git_http_url:s path_with_namespace:s default_branch:s"),
            "object_attributes": Shape(
                "title:s content:s format:s message:s slug:s url:s action:s diff_url:s version_id:s"
            ),
        },
    ),
    "pipeline_events": (
        "Pipeline events",
        {
            "": Shape(
                "object_kind:s object_attributes:d merge_request:d user:d project:d commit:d source_pipeline:d "
                "builds:l",
                optional="merge_request source_pipeline",  # merge request and child pipelines only
            ),
            "object_attributes": Shape(
                "id:n iid:n name:s ref:s tag:b sha:s before_sha:s source:s status:s stages:l created_at:s "
                "finished_at:s duration:n variables:l url:s"
            ),
            "project": PROJECT_OBJECT_CI,
            "commit": Shape("id:s message:s timestamp:s url:s author:d", extra="title"),
            "builds.0": Shape(
                "id:n stage:s name:s status:s created_at:s started_at:? finished_at:? duration:? queued_duration:? "
                "failure_reason:? when:s manual:b allow_failure:b user:d runner:? artifacts_file:d environment:d"
            ),
        },
    ),
    "job_events": (
        "Job events",
        {
            "": Shape(
                "object_kind:s ref:s tag:b before_sha:s sha:s build_id:n build_name:s build_stage:s build_status:s "
                "build_created_at:s build_created_at_iso:s build_started_at:? build_started_at_iso:? "
                "build_finished_at:? build_finished_at_iso:? build_duration:? build_queued_duration:n "
                "build_allow_failure:b build_failure_reason:s retries_count:n pipeline_id:n project_id:n "
                "project_name:s user:d commit:d repository:d project:d runner:d environment:? source_pipeline:d",
                optional="source_pipeline",  # child pipelines only
            ),
            "user": Shape("id:n name:s email:s avatar_url:s", extra="username"),
            "commit": Shape(
                "id:n name:s sha:s message:s author_name:s author_email:s status:s duration:? started_at:? "
                "started_at_iso:? finished_at:? finished_at_iso:?",
                extra="author_url",  # Gitlab::DataBuilder::Build
            ),
            "repository": Shape(
                "name:s description:s homepage:s git_ssh_url:s git_http_url:s visibility_level:n", extra="url"
            ),
            "project": PROJECT_OBJECT_CI,
            "runner": Shape("active:b runner_type:s is_shared:b id:n description:s tags:l"),
        },
    ),
    "releases_events": (
        "Release events",
        {
            "": Shape(
                "id:n created_at:s description:s name:s released_at:s tag:s object_kind:s project:d url:s action:s "
                "assets:d commit:d"
            ),
            "project": PROJECT_OBJECT,
            "assets": Shape("count:n links:l sources:l"),
            "assets.sources.0": Shape("format:s url:s"),
            "commit": COMMIT_OBJECT,
        },
    ),
    "emoji_events": (
        "Emoji events",
        {
            "": Shape("object_kind:s event_type:s user:d project_id:n project:d object_attributes:d note:d issue:d"),
            "user": USER_OBJECT,
            "project": PROJECT_OBJECT,
            "object_attributes": Shape(
                "user_id:n created_at:s id:n name:s awardable_type:s awardable_id:n updated_at:s action:s "
                "awarded_on_url:s"
            ),
            "note": NOTE_OBJECT,
            "issue": ISSUE_OBJECT,
        },
    ),
    "resource_access_token_events": (
        "Project and group access token events: Payload example for project",
        {
            "": Shape("object_kind:s project:d object_attributes:d event_name:s"),
            "project": PROJECT_OBJECT,
            "object_attributes": Shape("user_id:n created_at:s id:n name:s expires_at:s"),
        },
    ),
    "vulnerability_events": (
        "Vulnerability events",
        {
            "": Shape("object_kind:s object_attributes:d"),
            "object_attributes": Shape(
                "url:s title:s state:s project_id:n location:d cvss:l severity:s severity_overridden:b "
                "identifiers:l issues:l report_type:s confidence:s confidence_overridden:b confirmed_at:s "
                "confirmed_by_id:n dismissed_at:? dismissed_by_id:? resolved_at:? resolved_by_id:? auto_resolved:b "
                "resolved_on_default_branch:b created_at:s updated_at:s"
            ),
        },
    ),
    "project_events": (
        "Project events: Create a project in a group",
        {
            "": Shape(
                "event_name:s created_at:s updated_at:s name:s path:s path_with_namespace:s project_id:n "
                "project_namespace_id:n owners:l project_visibility:s"
            )
        },
    ),
}
SHAPES["confidential_issues_events"] = SHAPES["issues_events"]

#: The object_kind of each testable trigger's sample (GitLab's, not the trigger's name: a job is a ``build``).
OBJECT_KINDS = {
    "push_events": "push",
    "tag_push_events": "tag_push",
    "note_events": "note",
    "issues_events": "issue",
    "confidential_issues_events": "issue",
    "merge_requests_events": "merge_request",
    "job_events": "build",
    "pipeline_events": "pipeline",
    "wiki_page_events": "wiki_page",
    "releases_events": "release",
    "emoji_events": "emoji",
    "resource_access_token_events": "access_token",
    "vulnerability_events": "vulnerability",
}


def _at(payload: Any, path: str) -> Any:
    value = payload
    for part in path.split(".") if path else []:
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def shape_problems(value: dict[str, Any], shape: Shape) -> list[str]:
    documented, extra, optional = shape.documented, set(shape.extra.split()), set(shape.optional.split())
    problems = [f"missing {key}" for key in documented if key not in value and key not in optional]
    problems += [f"undocumented {key}" for key in value if key not in documented and key not in extra]
    for key, kind in documented.items():
        found = value.get(key)
        if kind == "?" or found is None:
            continue
        if not isinstance(found, _TYPES[kind]) or (kind == "n" and isinstance(found, bool)):
            problems.append(f"{key} is {type(found).__name__}, documented {kind}")
    return problems


@pytest.mark.parametrize("trigger", sorted(SHAPES))
def test_each_sample_has_the_documented_keys_and_types(trigger: str) -> None:
    section, shapes = SHAPES[trigger]
    kind = HookKind.GROUP if trigger == "project_events" else HookKind.PROJECT
    project = sample_project(kind, 7, "acme/platform") if kind is HookKind.GROUP else PROJECT
    payload = sample_payload(trigger, project, INSTANCE, NOW)
    for path, shape in shapes.items():
        assert shape_problems(_at(payload, path), shape) == [], f"{section}: {path or 'top level'}"


def test_the_checker_catches_a_missing_an_undocumented_and_a_mistyped_key() -> None:
    shape = Shape("a:s b:n c:?", extra="d", optional="e")
    assert shape_problems({"a": "x", "b": 1, "c": None, "d": 1}, shape) == []
    assert shape_problems({"a": 1, "c": 3, "z": 0}, shape) == ["missing b", "undocumented z", "a is int, documented s"]
    assert shape_problems({"a": "x", "b": True, "c": 0}, shape) == ["b is bool, documented n"]


def test_every_testable_trigger_has_a_documented_shape_and_gitlabs_object_kind() -> None:
    testable = TESTABLE_TRIGGERS[HookKind.PROJECT] | TESTABLE_TRIGGERS[HookKind.GROUP]
    assert set(SHAPES) == testable
    for trigger, kind in OBJECT_KINDS.items():
        assert sample_payload(trigger, PROJECT, INSTANCE, NOW)["object_kind"] == kind, trigger
    assert sample_payload("confidential_issues_events", PROJECT, INSTANCE, NOW)["event_type"] == "confidential_issue"


def test_only_the_triggers_gitlab_tests_are_testable() -> None:
    """TestHooks::ProjectService#data names these; GroupService adds project_events; the rest is not testable."""
    untestable = {
        "confidential_note_events",
        "deployment_events",
        "feature_flag_events",
        "milestone_events",
        "resource_deploy_token_events",
    }
    assert set(TRIGGERS_BY_KIND[HookKind.PROJECT]) - TESTABLE_TRIGGERS[HookKind.PROJECT] == untestable
    assert set(TRIGGERS_BY_KIND[HookKind.GROUP]) - TESTABLE_TRIGGERS[HookKind.GROUP] == untestable | {
        "member_events",
        "subgroup_events",
    }
    assert TESTABLE_TRIGGERS[HookKind.SYSTEM] == frozenset()  # POST /hooks/:hook_id is the system hook test
    for trigger in untestable | {"member_events", "subgroup_events", "repository_update_events"}:
        with pytest.raises(KeyError):
            sample_payload(trigger, PROJECT, INSTANCE, NOW)


def test_the_user_docs_template_examples_render_from_the_samples() -> None:
    """webhooks.md: ``{{build_name}}`` for a job event, and the example template with object_kind and project.name."""
    job = sample_payload("job_events", PROJECT, INSTANCE, NOW)
    assert render_template('{"job": "{{build_name}}"}', job) == '{"job":"test"}'
    example = '{\n  "event": "{{object_kind}}",\n  "project_name": "{{project.name}}"\n}'
    for trigger, kind in OBJECT_KINDS.items():
        if trigger == "vulnerability_events":  # its documented payload has no project object
            continue
        rendered = render_template(example, sample_payload(trigger, PROJECT, INSTANCE, NOW))
        assert rendered == f'{{"event":"{kind}","project_name":"api"}}', trigger


@pytest.mark.parametrize("trigger", sorted(OBJECT_KINDS))
def test_a_project_hooks_sample_is_about_its_project_under_the_instance_url(trigger: str) -> None:
    payload = sample_payload(trigger, PROJECT, INSTANCE + "/", NOW)
    text = repr(payload)
    assert "gitlab.example.com" not in text and "example.com/" not in text.replace("gitlab.com/gitlab-org", "")
    project = payload.get("project")
    if project is not None:
        assert (project["id"], project["path_with_namespace"]) == (42, "acme/platform/api")
        assert project["web_url"] == f"{INSTANCE}/acme/platform/api"
    if "project_id" in payload:
        assert payload["project_id"] == 42
    if trigger == "vulnerability_events":
        assert payload["object_attributes"]["project_id"] == 42
        assert payload["object_attributes"]["url"].startswith(f"{INSTANCE}/acme/platform/api/-/security/")


@pytest.mark.parametrize(
    ("kind", "namespace_id", "path", "expected"),
    [
        (HookKind.PROJECT, 42, "acme/api", SampleProject(42, "acme/api")),
        (HookKind.PROJECT, None, "acme/api", SampleProject(None, "acme/api")),  # id not learnt yet
        (HookKind.PROJECT, 42, None, SampleProject(42, None)),  # path not learnt yet
        (HookKind.GROUP, 7, "acme/platform", SampleProject(None, "acme/platform/sample-project")),
        (HookKind.GROUP, 7, None, SampleProject(None, None)),
    ],
)
def test_the_project_a_sample_is_about(
    kind: HookKind, namespace_id: int | None, path: str | None, expected: SampleProject
) -> None:
    assert sample_project(kind, namespace_id, path) == expected


def test_a_project_known_only_by_id_has_gitlabs_project_url() -> None:
    payload = sample_payload("push_events", SampleProject(42, None), INSTANCE, NOW)
    assert payload["project"]["web_url"] == f"{INSTANCE}/projects/42"  # GitLab redirects /projects/:id
    assert payload["project"]["path_with_namespace"] is None and payload["project_id"] == 42


def test_the_system_hook_sample_is_gitlabs_verbatim() -> None:
    assert SYSTEM_HOOK_TEST_SAMPLE == {
        "event_name": "project_create",
        "name": "Ruby",
        "path": "ruby",
        "project_id": 1,
        "owner_name": "Someone",
        "owner_email": "example@gitlabhq.com",
    }
