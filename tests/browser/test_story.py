"""The console's whole story in Chromium: sign in, add a hook, test it, read its events, resend, see it disabled by
a broken receiver, fix it, recover; and a portal link that opens one namespace and refuses another."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
from playwright.sync_api import Browser, Page, expect

from hookline import settings
from hookline.clock import CLOCK
from hookline.domain.portal import EXPIRED, PORTAL_CODE_LIFETIME, REUSED
from hookline.wiring import hook_admin
from infra.local.receiver import Receiver, wait_until
from infra.local.stack import LocalStack
from tests.browser.conftest import SCREENSHOTS, Watched, console_url, watch

PROJECT = "browser/shop"
OTHER = "browser/other"
PATH = "/story"


def _put_pushes(stack: LocalStack, count: int) -> None:
    entries = [
        {
            "Source": "gitlab.test",
            "DetailType": "Push Hook",
            "Detail": json.dumps({"scope": {"project": {"path": PROJECT}}, "payload": {"ref": "refs/heads/main"}}),
            "EventBusName": settings.bus_name(),
        }
        for _ in range(count)
    ]
    assert stack.client("events").put_events(Entries=entries)["FailedEntryCount"] == 0


def sign_in(page: Page, stack: LocalStack, token: str) -> None:
    page.goto(console_url(stack))
    page.fill("#token", token)
    page.click("button[type=submit]")
    expect(page.locator("#ns-kind")).to_be_visible()


def open_namespace(page: Page, kind: str, ref: str) -> None:
    page.select_option("#ns-kind", kind)
    page.fill("#ns-ref", ref)
    page.click("text=Open")


def hook_row(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator("[data-testid=hook-row]", has_text=name)


def test_the_whole_story(console: Watched, running: LocalStack, receiver: Receiver) -> None:
    page = console.page
    # a wrong token is refused beside the field
    page.goto(console_url(running))
    page.fill("#token", "not-a-token")
    page.click("button[type=submit]")
    expect(page.get_by_test_id("signin-error")).to_contain_text("not valid")

    sign_in(page, running, running.admin_token)
    open_namespace(page, "project", PROJECT)
    expect(page.locator(".notice")).to_contain_text("404 Project Not Found")
    page.click("text=Add new webhook")

    # the form: a bad URL is shown beside the URL field, then a good one is saved
    page.fill("#f-url", "not a url")
    page.fill("#f-name", "Shop events")
    page.click("[data-testid=save]")
    expect(page.locator("[data-error=url]")).not_to_be_empty()
    page.fill("#f-url", receiver.url(PATH))
    page.fill("#f-description", "Pushes of the shop")
    page.fill("#f-token", "s3cret-token")
    page.check("#f-triggers input[name=tag_push_events]")
    page.check("input[name=branch_filter_strategy][value=wildcard]")
    page.fill("#f-push_events_branch_filter", "main")
    page.click("[data-testid=add-header]")
    page.locator("[data-testid=custom-headers] .pair-key").fill("X-Shop")
    page.locator("[data-testid=custom-headers] .pair-value").fill("header-secret")
    page.click("[data-testid=save]")
    expect(page.get_by_test_id("flash")).to_have_text("Webhook created.")

    row = hook_row(page, "Shop events")
    expect(row).to_contain_text(receiver.url(PATH))
    expect(row).to_contain_text("Push events")
    expect(row).to_contain_text("Tag push events")
    expect(row.get_by_test_id("badge")).to_have_count(0)
    hook_id = int(row.get_attribute("data-hook-id") or 0)
    stored = hook_admin().store.get(hook_id)
    assert stored.token == "s3cret-token" and stored.custom_headers == {"X-Shop": "header-secret"}

    # test it: the receiver gets a push, the page says so
    row.get_by_test_id("test-trigger").select_option("push_events")
    row.get_by_test_id("test").click()
    expect(page.get_by_test_id("flash")).to_contain_text("Hook executed successfully")
    assert receiver.wait_for(lambda requests: any(r.path == PATH for r in requests))
    expect(hook_row(page, "Shop events").get_by_test_id("health")).to_contain_text("1 deliveries · 100% ok")
    page.screenshot(path=str(SCREENSHOTS / "hooks-list.png"))

    # the edit form, for the README
    hook_row(page, "Shop events").get_by_test_id("edit").click()
    expect(page.locator("#f-name")).to_have_value("Shop events")
    expect(page.locator("#f-token")).to_have_value("")  # write-only
    expect(page.locator("#f-token")).to_have_attribute("placeholder", "(unchanged: a secret token is set)")
    page.screenshot(path=str(SCREENSHOTS / "edit-hook.png"), full_page=True)
    expect(page.locator("#f-concurrency_limit")).to_have_value("4")
    page.fill("#f-concurrency_limit", "0")
    page.click("[data-testid=save]")
    expect(page.locator("[data-error=concurrency_limit]")).to_have_text("concurrency_limit is invalid")
    page.fill("#f-concurrency_limit", "2")
    page.fill("#f-description", "Pushes and tags of the shop")
    page.click("[data-testid=save]")
    expect(page.get_by_test_id("flash")).to_have_text("Webhook updated.")
    saved = hook_admin().store.get(hook_id)
    assert saved.token == "s3cret-token"  # a save without a token keeps it
    assert saved.concurrency_limit == 2

    # recent events: the green test event
    hook_row(page, "Shop events").get_by_test_id("events").click()
    first = page.get_by_test_id("event-row").first
    expect(first.get_by_test_id("status")).to_have_text("200")
    expect(first.get_by_test_id("status")).to_have_class("badge ok")
    expect(first).to_contain_text("Push hook")
    page.screenshot(path=str(SCREENSHOTS / "recent-events.png"))

    # request details, secrets redacted, and resend
    first.get_by_test_id("view-details").click()
    expect(page.get_by_test_id("request-body")).to_contain_text("object_kind")
    assert "s3cret-token" not in page.content() and "header-secret" not in page.content()
    before = len(receiver.to(PATH))
    page.get_by_test_id("resend").click()
    expect(page.get_by_test_id("resend-result")).to_contain_text("the receiver answered 200")
    assert len(receiver.to(PATH)) == before + 1

    # break the receiver until the hook is temporarily disabled
    receiver.statuses[PATH] = 500
    _put_pushes(running, 4)
    wait_until(lambda: (h := hook_admin().store.get(hook_id)) and h.disabled_until is not None, timeout=60)
    page.goto(console_url(running) + "#/project/" + PROJECT.replace("/", "%2F"))
    badge = hook_row(page, "Shop events").get_by_test_id("badge")
    expect(badge).to_contain_text("Temporarily disabled")
    expect(badge).to_contain_text("until")

    # the red events, and the status filter
    hook_row(page, "Shop events").get_by_test_id("events").click()
    expect(page.get_by_test_id("status").first).to_have_text("500")
    expect(page.get_by_test_id("status").first).to_have_class("badge bad")
    page.get_by_test_id("status-filter").select_option("successful")
    expect(page.get_by_test_id("status")).to_have_count(2)  # the test and the resend
    expect(page.get_by_test_id("status").first).to_have_text("200")

    # fix it: a successful test re-enables the hook
    receiver.statuses[PATH] = 200
    page.goto(console_url(running) + "#/project/" + PROJECT.replace("/", "%2F"))
    hook_row(page, "Shop events").get_by_test_id("test").click()
    expect(page.get_by_test_id("flash")).to_contain_text("Hook executed successfully")
    expect(hook_row(page, "Shop events").get_by_test_id("badge")).to_have_count(0)

    # recover what was parked since an hour ago: the counts the API answers
    hook_row(page, "Shop events").get_by_test_id("edit").click()
    since = (CLOCK.now() - timedelta(hours=1)).astimezone().strftime("%Y-%m-%dT%H:%M:%S")
    page.fill("#f-since", since)
    page.get_by_test_id("recover").click()
    expect(page.get_by_test_id("recover-result")).to_contain_text("Recovered 0 deliveries; 0 remaining.")

    # delete, with a confirmation in the page
    page.click("text=← Project browser/shop")
    hook_row(page, "Shop events").get_by_test_id("delete").click()
    expect(page.get_by_test_id("confirm-delete")).to_be_visible()
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("flash")).to_have_text("Webhook deleted.")
    expect(page.get_by_test_id("no-hooks")).to_be_visible()


def _portal_link(stack: LocalStack, project: str) -> str:
    answer = httpx.post(
        f"{stack.api_url}/api/v4/portal_links",
        json={"project": project},
        headers={"PRIVATE-TOKEN": stack.admin_token},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["url"])


def test_portal_link_shows_one_namespace_and_refuses_another(
    console: Watched, browser: Browser, running: LocalStack
) -> None:
    admin = {"PRIVATE-TOKEN": running.admin_token}
    for project, name in ((PROJECT, "Tenant hook"), (OTHER, "Neighbour hook")):
        created = httpx.post(
            f"{running.api_url}/api/v4/projects/{project.replace('/', '%2F')}/hooks",
            json={"url": "https://example.com/hook", "name": name},
            headers=admin,
            timeout=30,
        )
        assert created.status_code == 201
    link = _portal_link(running, PROJECT)
    page = console.page
    page.goto(link)
    expect(hook_row(page, "Tenant hook")).to_be_visible()
    expect(page.locator("#where")).to_have_text(f"Portal · Project {PROJECT}")
    assert "portal=" not in page.url  # the code left the address bar
    expect(page.get_by_test_id("hook-row")).to_have_count(1)

    # another namespace: the page goes back to its own, and the API refuses the session there
    page.goto(console_url(running) + "#/project/" + OTHER.replace("/", "%2F"))
    expect(hook_row(page, "Tenant hook")).to_be_visible()
    expect(page.locator("text=Neighbour hook")).to_have_count(0)
    status = page.evaluate(
        """async (path) => (await fetch('../api/v4/projects/' + encodeURIComponent(path) + '/hooks',
             {headers: {Authorization: 'Bearer ' + JSON.parse(sessionStorage.getItem('hookline.console')).token}}))
             .status""",
        OTHER,
    )
    assert status == 404

    # the same link again, in another browser: refused, with the reason
    again = watch(browser.new_context().new_page())
    again.page.goto(link)
    expect(again.page.get_by_test_id("portal-error")).to_have_text(REUSED)

    # an expired link
    late = _portal_link(running, PROJECT)
    with CLOCK.moved(PORTAL_CODE_LIFETIME):
        again.page.goto("about:blank")
        again.page.goto(late)
        expect(again.page.get_by_test_id("portal-error")).to_have_text(EXPIRED)
    again.page.context.close()
    again.clean()
