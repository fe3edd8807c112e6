"""The local API serves requests on many threads; the handler, like one Lambda environment, takes them one at a time,
so no request sees another's route, event or caller (a race once gave a 500 and could have mixed tenants)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from infra.local.stack import LocalStack

ROUNDS = 40


def _make_hook_and_token(stack: LocalStack, project: str) -> str:
    admin = {"PRIVATE-TOKEN": stack.admin_token}
    base = f"{stack.api_url}/api/v4/projects/{project.replace('/', '%2F')}"
    made = httpx.post(f"{base}/hooks", json={"url": f"https://{project.replace('/', '-')}.example.com/"}, headers=admin)
    assert made.status_code == 201, made.text
    token = httpx.post(f"{base}/access_tokens", json={"name": "t", "scopes": ["api"]}, headers=admin)
    assert token.status_code == 201, token.text
    return str(token.json()["token"])


def test_parallel_callers_each_see_only_their_own_namespace(stack: LocalStack) -> None:
    projects = ["race/alpha", "race/beta"]
    tokens = {project: _make_hook_and_token(stack, project) for project in projects}

    def call(index: int) -> tuple[str, int, str]:
        mine, other = projects[index % 2], projects[(index + 1) % 2]
        target = mine if index % 3 else other  # every third call asks for the neighbour's hooks
        answer = httpx.get(
            f"{stack.api_url}/api/v4/projects/{target.replace('/', '%2F')}/hooks",
            headers={"PRIVATE-TOKEN": tokens[mine]},
        )
        return target if target == mine else "", answer.status_code, answer.text

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, range(ROUNDS)))
    for own, status, text in results:
        if own:
            assert status == 200, text
            assert own.replace("/", "-") in text
        else:
            assert status == 404, text  # another tenant's namespace answers as unknown, never 500 or its hooks
