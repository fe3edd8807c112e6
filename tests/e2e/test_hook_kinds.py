"""python-gitlab, unmodified, on project, group and system hooks; the minimal project and group objects."""

from __future__ import annotations

import gitlab
import pytest

from hookline.domain.events import TRIGGERS_BY_KIND, HookKind
from infra.local.receiver import Receiver
from infra.local.stack import LocalStack

NEVER_FIRES = {trigger: False for trigger in TRIGGERS_BY_KIND[HookKind.SYSTEM]}  # system hooks get every event


def _crud_with_paging(manager, kind: HookKind, extra: dict) -> None:
    """Create 25 hooks, page through them, get, save every trigger of the kind, delete them all."""
    made = [manager.create({"url": f"https://example.invalid/{i}", **extra}) for i in range(25)]
    try:
        ids = [hook.id for hook in made]
        listed = [hook.id for hook in manager.list(get_all=True)]
        assert [i for i in listed if i in ids] == ids
        second = [hook.id for hook in manager.list(page=2, per_page=20)]
        assert len(second) == len(listed) - 20 and second == listed[20:]

        fetched = manager.get(made[0].id)
        assert fetched.url == "https://example.invalid/0"
        for trigger in TRIGGERS_BY_KIND[kind]:
            assert getattr(fetched, trigger) is False or trigger == "push_events"
            setattr(fetched, trigger, True)
        if kind is HookKind.SYSTEM:  # python-gitlab has no save() for system hooks: its http helper does the PUT
            body = {"url": fetched.url, **dict.fromkeys(TRIGGERS_BY_KIND[kind], True)}
            manager.gitlab.http_put(f"/hooks/{fetched.id}", post_data=body)
        else:
            fetched.save()
        again = manager.get(made[0].id)
        assert all(getattr(again, trigger) is True for trigger in TRIGGERS_BY_KIND[kind])
        others = set(TRIGGERS_BY_KIND[HookKind.GROUP] + TRIGGERS_BY_KIND[HookKind.SYSTEM]) - set(TRIGGERS_BY_KIND[kind])
        assert not any(hasattr(again, trigger) for trigger in others)
        if kind is HookKind.SYSTEM:
            manager.gitlab.http_put(f"/hooks/{fetched.id}", post_data={"url": fetched.url, **NEVER_FIRES})
    finally:
        for hook in made:
            hook.delete()
    with pytest.raises(gitlab.GitlabGetError) as error:
        manager.get(made[0].id)
    assert error.value.response_code == 404


def test_project_hooks(gl: gitlab.Gitlab) -> None:
    _crud_with_paging(gl.projects.get("kinds/project", lazy=True).hooks, HookKind.PROJECT, {"push_events": False})


def test_group_hooks(gl: gitlab.Gitlab) -> None:
    _crud_with_paging(gl.groups.get("kinds/group", lazy=True).hooks, HookKind.GROUP, {"push_events": False})


def test_system_hooks(gl: gitlab.Gitlab) -> None:
    _crud_with_paging(gl.hooks, HookKind.SYSTEM, NEVER_FIRES)


@pytest.mark.parametrize("collection", ["projects", "groups"])
def test_hook_test_for_project_and_group_hooks(gl: gitlab.Gitlab, receiver: Receiver, collection: str) -> None:
    manager = getattr(gl, collection).get(f"tested/{collection}", lazy=True).hooks
    hook = manager.create({"url": receiver.url(f"/{collection}")})
    try:
        hook.test("push_events")
        (request,) = receiver.to(f"/{collection}")
        assert request.headers["X-Gitlab-Event"] == "Push Hook" and request.json["object_kind"] == "push"
        receiver.statuses[f"/{collection}"] = 500
        with pytest.raises(gitlab.GitlabHookTestError) as failed:
            hook.test("push_events")
        assert failed.value.response_code == 422
        with pytest.raises(gitlab.GitlabHookTestError) as unknown:
            hook.test("no_such_events")
        assert unknown.value.response_code == 400
    finally:
        hook.delete()


def test_projects_and_groups_hookline_knows_can_be_fetched(gl: gitlab.Gitlab, running: LocalStack) -> None:
    by_path = gl.projects.get("known/team/api", lazy=True).hooks.create(
        {"url": "https://example.invalid/p", "push_events": False}
    )
    by_id = gl.projects.get(777001, lazy=True).hooks.create({"url": "https://example.invalid/i", "push_events": False})
    group = gl.groups.get("known/team", lazy=True).hooks.create(
        {"url": "https://example.invalid/g", "push_events": False}
    )
    try:
        project = gl.projects.get("known/team/api")  # not lazy: Hookline answers with a minimal project
        assert project.path_with_namespace == "known/team/api" and project.path == project.name == "api"
        assert project.id == "known/team/api"  # known only by its path: the path is its id
        assert [hook.id for hook in project.hooks.list(get_all=True)] == [by_path.id]

        numeric = gl.projects.get(777001)
        assert numeric.id == 777001 and numeric.path_with_namespace is None
        assert [hook.id for hook in numeric.hooks.list(get_all=True)] == [by_id.id]

        team = gl.groups.get("known/team")
        assert team.full_path == "known/team" and team.path == "team"
        assert team.web_url.endswith("/known/team")
        assert [hook.id for hook in team.hooks.list(get_all=True)] == [group.id]

        for manager, ref in ((gl.projects, "known/nothing"), (gl.projects, 31337), (gl.groups, "known/none")):
            with pytest.raises(gitlab.GitlabGetError) as error:
                manager.get(ref)
            assert error.value.response_code == 404
    finally:
        for hook in (by_path, by_id, group):
            hook.delete()
