"""Test samples, built as GitLab builds its hook test data (``TestHooks::ProjectService``, ``GroupService``,
``lib/gitlab/data_builder/*``): each testable trigger's payload has GitLab's object_kind and top-level fields, as
the webhook events documentation shows them, about the hook's own project under the instance URL.

GitLab fills a test from the project's newest record of the kind (its latest note, job, pipeline...); Hookline has no
records, so the record is a fixed sample in that record's shape. A group hook is tested, as in GitLab, with a project
of the group: Hookline does not know a group's projects, so it is a sample project in the group, with no id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from hookline.domain.events import EVENT_TYPES, EventType, HookKind

TRIGGER_EVENTS: dict[str, EventType] = {event.trigger: event for event in EVENT_TYPES}

#: The triggers GitLab can test (TestHooks::ProjectService#data; GroupService runs it with a project of the group,
#: and adds project_events). The rest answer 422 ``Testing not available for this hook``.
_PROJECT_TESTABLE = frozenset(
    {
        "push_events",
        "tag_push_events",
        "note_events",
        "issues_events",
        "confidential_issues_events",
        "merge_requests_events",
        "job_events",
        "pipeline_events",
        "wiki_page_events",
        "releases_events",
        "emoji_events",
        "resource_access_token_events",
        "vulnerability_events",
    }
)
TESTABLE_TRIGGERS: dict[HookKind, frozenset[str]] = {
    HookKind.PROJECT: _PROJECT_TESTABLE,
    HookKind.GROUP: _PROJECT_TESTABLE | {"project_events"},
    HookKind.SYSTEM: frozenset(),  # a system hook is tested with POST /hooks/:hook_id (SYSTEM_HOOK_TEST_SAMPLE)
}
NOT_TESTABLE = "Testing not available for this hook"

#: What ``POST /api/v4/hooks/:hook_id`` sends and answers (GitLab's lib/api/system_hooks.rb, verbatim).
SYSTEM_HOOK_TEST_SAMPLE: dict[str, Any] = {
    "event_name": "project_create",
    "name": "Ruby",
    "path": "ruby",
    "project_id": 1,
    "owner_name": "Someone",
    "owner_email": "example@gitlabhq.com",
}
#: The event a system hook test is logged under (X-Gitlab-Event is "System Hook" for every system hook delivery).
SYSTEM_HOOK_TEST_EVENT = "Project Hook"

_SHA_BEFORE = "95790bf891e76fee5e1747ab589903a6a1f80f22"
_SHA_AFTER = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
_BLANK_SHA = "0" * 40
_SAMPLE_PROJECT = "sample-project"


@dataclass(frozen=True)
class SampleProject:
    """The project a sample is about: its id and full path when known."""

    id: int | None
    path: str | None

    @property
    def name(self) -> str:
        if self.path:
            return self.path.rsplit("/", 1)[-1]
        return f"project-{self.id}" if self.id is not None else _SAMPLE_PROJECT


def sample_project(kind: HookKind, namespace_id: int | None, namespace_path: str | None) -> SampleProject:
    """A project hook's own project; for a group hook, a sample project in the group (GitLab tests a group hook
    with one of its projects)."""
    if kind is HookKind.PROJECT:
        return SampleProject(namespace_id, namespace_path)
    return SampleProject(None, f"{namespace_path}/{_SAMPLE_PROJECT}" if namespace_path else None)


@dataclass(frozen=True)
class _Sample:
    """What every builder shares: the instance, the project, the time."""

    instance_url: str
    project: SampleProject
    now: datetime

    @property
    def base(self) -> str:
        return self.instance_url.rstrip("/")

    @property
    def web_url(self) -> str | None:
        if self.project.path:
            return f"{self.base}/{self.project.path}"
        return f"{self.base}/projects/{self.project.id}" if self.project.id is not None else None

    def url(self, suffix: str) -> str | None:
        return f"{self.web_url}/{suffix}" if self.web_url else None

    def iso(self, ago: timedelta = timedelta()) -> str:
        """``2013-12-03T17:15:43Z``"""
        return (self.now - ago).strftime("%Y-%m-%dT%H:%M:%SZ")

    def utc(self, ago: timedelta = timedelta()) -> str:
        """``2015-05-17 18:08:09 UTC``"""
        return (self.now - ago).strftime("%Y-%m-%d %H:%M:%S UTC")

    def user(self) -> dict[str, Any]:
        """User#hook_attrs of the sample user (no public email: GitLab sends ``[REDACTED]``)."""
        return {
            "id": 1,
            "name": "Administrator",
            "username": "root",
            "avatar_url": f"{self.base}/uploads/-/system/user/avatar/1/avatar.png",
            "email": "[REDACTED]",
        }

    def project_attrs(self, *, backward: bool = True) -> dict[str, Any]:
        """Project#hook_attrs (``backward`` adds the deprecated homepage, url, ssh_url and http_url)."""
        path = self.project.path or self.project.name
        host = urlsplit(self.base).hostname or "localhost"
        ssh = f"git@{host}:{path}.git"
        http = f"{self.web_url}.git" if self.web_url else None
        attrs: dict[str, Any] = {
            "id": self.project.id,
            "name": self.project.name,
            "description": "",
            "web_url": self.web_url,
            "avatar_url": None,
            "git_ssh_url": ssh,
            "git_http_url": http,
            "namespace": path.rsplit("/", 2)[-2] if "/" in path else path,
            "visibility_level": 0,
            "path_with_namespace": self.project.path,
            "default_branch": "main",
            "ci_config_path": None,
        }
        if backward:
            attrs.update(homepage=self.web_url, url=ssh, ssh_url=ssh, http_url=http)
        return attrs

    def repository(self, *names: str) -> dict[str, Any]:
        """The deprecated ``repository`` object: these fields of the project's."""
        project = self.project_attrs()
        return {key: project[key] for key in names or ("name", "url", "description", "homepage")}

    def commit(self, sha: str = _SHA_AFTER) -> dict[str, Any]:
        return {
            "id": sha,
            "message": "Update README.md\n",
            "title": "Update README.md",
            "timestamp": (self.now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "url": self.url(f"-/commit/{sha}"),
            "author": {"name": "Administrator", "email": "[REDACTED]"},
        }

    def label(self) -> dict[str, Any]:
        return {
            "id": 206,
            "title": "API",
            "color": "#ffffff",
            "project_id": self.project.id,
            "created_at": self.iso(timedelta(days=30)),
            "updated_at": self.iso(timedelta(days=30)),
            "template": False,
            "description": "API related issues",
            "type": "ProjectLabel",
            "group_id": None,
        }

    def issue_attrs(self) -> dict[str, Any]:
        """Gitlab::HookData::IssueBuilder#build: the hook attributes of an issue."""
        user = self.user()
        return {
            "author_id": user["id"],
            "closed_at": None,
            "confidential": False,
            "created_at": self.utc(timedelta(days=1)),
            "description": "Create new API for manipulations with repository",
            "discussion_locked": None,
            "due_date": None,
            "id": 301,
            "iid": 23,
            "last_edited_at": None,
            "last_edited_by_id": None,
            "milestone_id": None,
            "moved_to_id": None,
            "duplicated_to_id": None,
            "project_id": self.project.id,
            "relative_position": 0,
            "state_id": 1,
            "time_estimate": 0,
            "title": "New API: create/update/delete file",
            "updated_at": self.utc(timedelta(days=1)),
            "updated_by_id": None,
            "weight": None,
            "health_status": None,
            "url": self.url("-/issues/23"),
            "total_time_spent": 0,
            "time_change": 0,
            "human_total_time_spent": None,
            "human_time_change": None,
            "human_time_estimate": None,
            "assignee_ids": [user["id"]],
            "assignee_id": user["id"],
            "labels": [self.label()],
            "state": "opened",
            "severity": "unknown",
        }

    def note_attrs(self) -> dict[str, Any]:
        """Gitlab::HookData::NoteBuilder#build: a comment on the sample issue."""
        note = "Looks good to me."
        return {
            "attachment": None,
            "author_id": 1,
            "change_position": None,
            "commit_id": None,
            "created_at": self.utc(timedelta(hours=2)),
            "discussion_id": "c3d97fd471f210a5dc8b97a409e3bea95ee06c14",
            "id": 1241,
            "line_code": None,
            "note": note,
            "noteable_id": 301,
            "noteable_type": "Issue",
            "original_position": None,
            "position": None,
            "project_id": self.project.id,
            "resolved_at": None,
            "resolved_by_id": None,
            "resolved_by_push": None,
            "st_diff": None,
            "system": False,
            "type": None,
            "updated_at": self.utc(timedelta(hours=2)),
            "updated_by_id": None,
            "description": note,
            "url": self.url("-/issues/23#note_1241"),
        }


# --- one builder per testable trigger ---------------------------------------------------------------------------
_FULL_REPOSITORY = ("name", "url", "description", "homepage", "git_http_url", "git_ssh_url", "visibility_level")


def _push(sample: _Sample, *, tag: bool) -> dict[str, Any]:
    """Gitlab::DataBuilder::Push.build_sample (``is_tag`` for a tag push)."""
    kind = "tag_push" if tag else "push"
    user = sample.user()
    commits = [] if tag else [{**sample.commit(), "added": [], "modified": ["README.md"], "removed": []}]
    return {
        "object_kind": kind,
        "event_name": kind,
        "before": _BLANK_SHA if tag else _SHA_BEFORE,
        "after": _SHA_AFTER,
        "ref": "refs/tags/v1.0.0" if tag else "refs/heads/main",
        "ref_protected": True,
        "checkout_sha": _SHA_AFTER,
        "user_id": user["id"],
        "user_name": user["name"],
        "user_username": user["username"],
        "user_email": user["email"],
        "user_avatar": user["avatar_url"],
        "project_id": sample.project.id,
        "project": sample.project_attrs(),
        "repository": sample.repository(*_FULL_REPOSITORY),
        "commits": commits,
        "total_commits_count": len(commits),
    }


def _assignee(sample: _Sample) -> dict[str, Any]:
    user = sample.user()
    return {key: user[key] for key in ("id", "name", "username", "avatar_url")}


def _issue(sample: _Sample, *, confidential: bool) -> dict[str, Any]:
    """Issue#to_hook_data(user, action: 'open') (Gitlab::DataBuilder::Issuable)."""
    attrs = sample.issue_attrs()
    del attrs["closed_at"]
    attrs.update(
        confidential=confidential,
        created_at=sample.iso(timedelta(days=1)),
        updated_at=sample.iso(timedelta(days=1)),
        type="Issue",
        action="open",
    )
    return {
        "object_kind": "issue",
        "event_type": "confidential_issue" if confidential else "issue",
        "user": sample.user(),
        "project": sample.project_attrs(),
        "object_attributes": attrs,
        "repository": sample.repository(),
        "assignees": [_assignee(sample)],
        "assignee": _assignee(sample),
        "labels": [sample.label()],
        "changes": {},
    }


def _note(sample: _Sample) -> dict[str, Any]:
    """Gitlab::DataBuilder::Note.build(note, user, :create): a comment on an issue."""
    issue = sample.issue_attrs()
    issue.update(position=0, branch_name=None)
    return {
        "object_kind": "note",
        "event_type": "note",
        "user": sample.user(),
        "project_id": sample.project.id,
        "project": sample.project_attrs(),
        "repository": sample.repository(),
        "object_attributes": {**sample.note_attrs(), "action": "create"},
        "issue": issue,
    }


def _merge_request(sample: _Sample) -> dict[str, Any]:
    """MergeRequest#to_hook_data(user, action: 'open')."""
    user = sample.user()
    project = sample.project_attrs()
    attrs = {
        "id": 99,
        "iid": 1,
        "target_branch": "main",
        "source_branch": "feature",
        "source_project_id": sample.project.id,
        "author_id": user["id"],
        "assignee_ids": [user["id"]],
        "assignee_id": user["id"],
        "reviewer_ids": [],
        "title": "Update README.md",
        "created_at": sample.iso(timedelta(hours=3)),
        "updated_at": sample.iso(timedelta(hours=3)),
        "last_edited_at": None,
        "last_edited_by_id": None,
        "milestone_id": None,
        "state_id": 1,
        "state": "opened",
        "blocking_discussions_resolved": True,
        "work_in_progress": False,
        "draft": False,
        "first_contribution": False,
        "merge_status": "can_be_merged",
        "target_project_id": sample.project.id,
        "description": "Describe the change here.",
        "prepared_at": sample.iso(timedelta(hours=3)),
        "total_time_spent": 0,
        "time_change": 0,
        "human_total_time_spent": None,
        "human_time_change": None,
        "human_time_estimate": None,
        "url": sample.url("-/merge_requests/1"),
        "source": project,
        "target": project,
        "last_commit": sample.commit(),
        "labels": [sample.label()],
        "action": "open",
        "detailed_merge_status": "mergeable",
    }
    return {
        "object_kind": "merge_request",
        "event_type": "merge_request",
        "user": user,
        "project": project,
        "repository": sample.repository(),
        "object_attributes": attrs,
        "labels": [sample.label()],
        "changes": {},
        "assignees": [_assignee(sample)],
        "reviewers": [],
    }


def _wiki_page(sample: _Sample) -> dict[str, Any]:
    """Gitlab::DataBuilder::WikiPage.build(page, user, 'create')."""
    project = sample.project_attrs()
    path = sample.project.path or sample.project.name
    home = sample.url("-/wikis/home")
    return {
        "object_kind": "wiki_page",
        "user": sample.user(),
        "project": project,
        "wiki": {
            "web_url": home,
            "git_ssh_url": project["git_ssh_url"].removesuffix(".git") + ".wiki.git",
            "git_http_url": f"{sample.web_url}.wiki.git" if sample.web_url else None,
            "path_with_namespace": f"{path}.wiki",
            "default_branch": "main",
        },
        "object_attributes": {
            "title": "Home",
            "content": "Welcome to the wiki.",
            "format": "markdown",
            "message": "Create home",
            "slug": "home",
            "url": home,
            "action": "create",
            "diff_url": sample.url(f"-/wikis/home/diff?version_id={_SHA_AFTER}"),
            "version_id": _SHA_AFTER,
        },
    }


def _runner() -> dict[str, Any]:
    return {
        "id": 380987,
        "description": "shared-runners-manager-6",
        "active": True,
        "runner_type": "instance_type",
        "is_shared": True,
        "tags": ["linux", "docker"],
    }


def _pipeline(sample: _Sample) -> dict[str, Any]:
    """Gitlab::DataBuilder::Pipeline.build(pipeline): one finished job."""
    commit = sample.commit()
    return {
        "object_kind": "pipeline",
        "object_attributes": {
            "id": 31,
            "iid": 3,
            "name": None,
            "ref": "main",
            "tag": False,
            "sha": _SHA_AFTER,
            "before_sha": _SHA_BEFORE,
            "source": "push",
            "status": "success",
            "stages": ["test"],
            "created_at": sample.utc(timedelta(minutes=5)),
            "finished_at": sample.utc(),
            "duration": 63,
            "variables": [],
            "url": sample.url("-/pipelines/31"),
        },
        "user": sample.user(),
        "project": sample.project_attrs(backward=False),
        "commit": {key: commit[key] for key in ("id", "message", "title", "timestamp", "url", "author")},
        "builds": [
            {
                "id": 380,
                "stage": "test",
                "name": "test",
                "status": "success",
                "created_at": sample.utc(timedelta(minutes=5)),
                "started_at": sample.utc(timedelta(minutes=4)),
                "finished_at": sample.utc(),
                "duration": 17.0,
                "queued_duration": 6.0,
                "failure_reason": None,
                "when": "on_success",
                "manual": False,
                "allow_failure": False,
                "user": sample.user(),
                "runner": _runner(),
                "artifacts_file": {"filename": None, "size": None},
                "environment": None,
            }
        ],
    }


def _job(sample: _Sample) -> dict[str, Any]:
    """Gitlab::DataBuilder::Build.build(build): object_kind ``build``."""
    return {
        "object_kind": "build",
        "ref": "main",
        "tag": False,
        "before_sha": _SHA_BEFORE,
        "sha": _SHA_AFTER,
        "build_id": 380,
        "build_name": "test",
        "build_stage": "test",
        "build_status": "success",
        "build_created_at": sample.utc(timedelta(minutes=5)),
        "build_created_at_iso": sample.iso(timedelta(minutes=5)),
        "build_started_at": sample.utc(timedelta(minutes=4)),
        "build_started_at_iso": sample.iso(timedelta(minutes=4)),
        "build_finished_at": sample.utc(),
        "build_finished_at_iso": sample.iso(),
        "build_duration": 240.0,
        "build_queued_duration": 6.0,
        "build_allow_failure": False,
        "build_failure_reason": "unknown_failure",
        "retries_count": 0,
        "pipeline_id": 31,
        "project_id": sample.project.id,
        "project_name": sample.project.path or sample.project.name,
        "user": sample.user(),
        "commit": {
            "id": 31,
            "name": None,
            "sha": _SHA_AFTER,
            "message": "Update README.md\n",
            "author_name": "Administrator",
            "author_email": "[REDACTED]",
            "author_url": f"{sample.base}/root",
            "status": "success",
            "duration": 63,
            "started_at": sample.utc(timedelta(minutes=4)),
            "started_at_iso": sample.iso(timedelta(minutes=4)),
            "finished_at": sample.utc(),
            "finished_at_iso": sample.iso(),
        },
        "repository": sample.repository(*_FULL_REPOSITORY),
        "project": sample.project_attrs(backward=False),
        "runner": _runner(),
        "environment": None,
    }


def _release(sample: _Sample) -> dict[str, Any]:
    """Release#to_hook_data('create') (Gitlab::HookData::ReleaseBuilder)."""
    archive = sample.url("-/archive/v1.0.0/") or ""
    name = sample.project.name
    return {
        "id": 1,
        "created_at": sample.utc(timedelta(minutes=1)),
        "description": "First release",
        "name": "v1.0.0",
        "released_at": sample.utc(timedelta(minutes=1)),
        "tag": "v1.0.0",
        "object_kind": "release",
        "project": sample.project_attrs(),
        "url": sample.url("-/releases/v1.0.0"),
        "action": "create",
        "assets": {
            "count": 4,
            "links": [],
            "sources": [
                {"format": fmt, "url": f"{archive}{name}-v1.0.0.{fmt}"} for fmt in ("zip", "tar.gz", "tar.bz2", "tar")
            ],
        },
        "commit": sample.commit(),
    }


def _emoji(sample: _Sample) -> dict[str, Any]:
    """Gitlab::DataBuilder::Emoji.build(award, user, 'award'): a thumbs up on the project's latest note."""
    return {
        "object_kind": "emoji",
        "event_type": "award",
        "user": sample.user(),
        "project_id": sample.project.id,
        "project": sample.project_attrs(),
        "object_attributes": {
            "user_id": 1,
            "created_at": sample.utc(),
            "id": 1,
            "name": "thumbsup",
            "awardable_type": "Note",
            "awardable_id": 1241,
            "updated_at": sample.utc(),
            "action": "award",
            "awarded_on_url": sample.url("-/issues/23#note_1241"),
        },
        "note": sample.note_attrs(),
        "issue": sample.issue_attrs(),
    }


def _access_token(sample: _Sample) -> dict[str, Any]:
    """Gitlab::DataBuilder::ResourceAccessToken.build(token, :expiring, project)."""
    return {
        "object_kind": "access_token",
        "project": sample.project_attrs(),
        "object_attributes": {
            "user_id": 90,
            "created_at": sample.utc(),
            "id": 1,
            "name": "pat_for_webhook_event",
            "expires_at": (sample.now + timedelta(days=2)).strftime("%Y-%m-%d"),
        },
        "event_name": "expiring_access_token",
    }


_GEMNASIUM = "https://gitlab.com/gitlab-org/security-products/gemnasium-db/-/blob/master/gem/rexml/CVE-2024-41123.yml"


def _vulnerability(sample: _Sample) -> dict[str, Any]:
    """Gitlab::DataBuilder::Vulnerability.build(vulnerability): GitLab's own fixed test vulnerability."""
    stamp = sample.now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "object_kind": "vulnerability",
        "object_attributes": {
            "url": sample.url("-/security/vulnerabilities/1"),
            "title": "REXML DoS vulnerability",
            "state": "confirmed",
            "project_id": sample.project.id,
            "location": {"file": "Gemfile.lock", "dependency": {"package": {"name": "rexml"}, "version": "3.3.1"}},
            "cvss": [{"vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "vendor": "NVD"}],
            "severity": "high",
            "severity_overridden": False,
            "identifiers": [
                {
                    "name": "Gemnasium-29dce398-220a-4315-8c84-16cd8b6d9b05",
                    "external_id": "29dce398-220a-4315-8c84-16cd8b6d9b05",
                    "external_type": "gemnasium",
                    "url": _GEMNASIUM,
                },
                {
                    "name": "CVE-2024-41123",
                    "external_id": "CVE-2024-41123",
                    "external_type": "cve",
                    "url": "https://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2024-41123",
                },
            ],
            "issues": [
                {
                    "title": "REXML ReDoS vulnerability",
                    "url": sample.url("-/issues/1"),
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            ],
            "report_type": "dependency_scanning",
            "confidence": "unknown",
            "confidence_overridden": False,
            "confirmed_at": stamp,
            "confirmed_by_id": 1,
            "dismissed_at": None,
            "dismissed_by_id": None,
            "resolved_at": None,
            "resolved_by_id": None,
            "auto_resolved": False,
            "resolved_on_default_branch": False,
            "created_at": stamp,
            "updated_at": stamp,
        },
    }


def _project_create(sample: _Sample) -> dict[str, Any]:
    """Gitlab::HookData::ProjectBuilder.new(project).build(:create), a group hook's project event."""
    return {
        "event_name": "project_create",
        "created_at": sample.iso(),
        "updated_at": sample.iso(),
        "name": sample.project.name,
        "path": sample.project.name,
        "path_with_namespace": sample.project.path,
        "project_id": sample.project.id,
        "project_namespace_id": None,
        "owners": [{"name": "Administrator", "email": "[REDACTED]"}],
        "project_visibility": "private",
    }


_BUILDERS = {
    "push_events": lambda sample: _push(sample, tag=False),
    "tag_push_events": lambda sample: _push(sample, tag=True),
    "note_events": _note,
    "issues_events": lambda sample: _issue(sample, confidential=False),
    "confidential_issues_events": lambda sample: _issue(sample, confidential=True),
    "merge_requests_events": _merge_request,
    "job_events": _job,
    "pipeline_events": _pipeline,
    "wiki_page_events": _wiki_page,
    "releases_events": _release,
    "emoji_events": _emoji,
    "resource_access_token_events": _access_token,
    "vulnerability_events": _vulnerability,
    "project_events": _project_create,
}


def sample_payload(trigger: str, project: SampleProject, instance_url: str, now: datetime) -> dict[str, Any]:
    """GitLab's test data for a testable ``trigger``, about ``project``; KeyError for a trigger GitLab cannot test."""
    return _BUILDERS[trigger](_Sample(instance_url, project, now))
