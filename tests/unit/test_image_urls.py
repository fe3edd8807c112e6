"""Relative image references made absolute, as GitLab's hook data builders do (webhooks.md "Image URL display in
webhook body"; Gitlab::HookData::BaseBuilder and its spec's table)."""

from __future__ import annotations

import time

import pytest

from hookline.domain.image_urls import (
    GROWTH_LIMIT,
    REWRITTEN_FIELDS,
    absolute_image_urls,
    with_absolute_image_urls,
)

I = "https://gitlab.example.test"  # noqa: E741 - the instance, short for the tables
U = f"{I}/-/project/123/uploads"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the user doc's example, and GitLab's spec table
        ("![image](/uploads/abc/image.png)", f"![image]({U}/abc/image.png)"),
        ("![an image](uploads/abc/image.png)", f"![an image]({U}/abc/image.png)"),
        ("![an image](foo.png)", f"![an image]({I}/foo.png)"),
        ("![an image](/downloads/foo.png)", f"![an image]({I}/downloads/foo.png)"),
        ("![an image](http://example.com/foo.png)", "![an image](http://example.com/foo.png)"),
        ("![an image](https://example.com/foo.png)", "![an image](https://example.com/foo.png)"),
        ("![an image](//example.com/foo.png)", "![an image](//example.com/foo.png)"),
        ("![foo]\n\n[foo]: /uploads/foo.png", "![foo]\n\n[foo]: /uploads/foo.png"),  # link label
        ("![][foo]\n\n[foo]: foo.png", "![][foo]\n\n[foo]: foo.png"),
        ("`![an image](foo.png)`", f"`![an image]({I}/foo.png)`"),  # inline code: GitLab rewrites it
        ("<p>![an image](foo.png)</p>", f"<p>![an image]({I}/foo.png)</p>"),
        ("```\n![an image](foo.png)\n```", "```\n![an image](foo.png)\n```"),
        ("<p>\n![an image](foo.png)\n</p>", "<p>\n![an image](foo.png)\n</p>"),
        # Hookline's own cases
        ("[text](/uploads/abc/a.png)", "[text](/uploads/abc/a.png)"),  # a link, not an image
        ("see [docs](/uploads/a) and ![x](/uploads/b.png)", f"see [docs](/uploads/a) and ![x]({U}/b.png)"),
        ("![a [nested] title](/uploads/a.png)", f"![a [nested] title]({U}/a.png)"),
        ("[![badge](/uploads/b.png)](/uploads/page)", f"[![badge]({U}/b.png)](/uploads/page)"),
        ("![a] text [b](/uploads/x)", "![a] text [b](/uploads/x)"),  # a reference image, then a link
        ("\\![not an image](/uploads/a.png)", "\\![not an image](/uploads/a.png)"),  # escaped
        ("\\\\![image](/uploads/a.png)", f"\\\\![image]({U}/a.png)"),  # an escaped backslash, then an image
        ('![a](/uploads/a.png "title")', f'![a]({U}/a.png "title")'),
        ("![a](data:image/png;base64,AAAA)", "![a](data:image/png;base64,AAAA)"),
        ("![a](mailto:x@example.com)", "![a](mailto:x@example.com)"),
        ("![a](<foo bar.png>)", "![a](<foo bar.png>)"),
        ("![a](#top)", "![a](#top)"),
        ("![a]( foo.png)", "![a]( foo.png)"),
        ("![a](/uploads/a.png", "![a](/uploads/a.png"),  # unterminated
        ("![multi\nline](/uploads/a.png)", "![multi\nline](/uploads/a.png)"),
        ("text\n```ruby\n![in code](/uploads/a.png)\n```\n![out](/uploads/b.png)", None),
        (f"![already]({U}/abc/a.png)", f"![already]({U}/abc/a.png)"),  # idempotent
        ("", ""),
    ],
)
def test_rewrite_table(text: str, expected: str | None) -> None:
    if expected is None:  # a code block in the middle of the text is left alone too
        expected = f"text\n```ruby\n![in code](/uploads/a.png)\n```\n![out]({U}/b.png)"
    assert absolute_image_urls(text, I, 123) == expected
    assert absolute_image_urls(expected, I, 123) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("![a](/uploads/abc/a.png)", "![a](/uploads/abc/a.png)"),  # no project id: uploads left alone
        ("![a](foo.png)", f"![a]({I}/foo.png)"),
    ],
)
def test_without_a_project_id_upload_references_are_left_alone(text: str, expected: str) -> None:
    assert absolute_image_urls(text, I + "/", None) == expected


def test_the_fields_gitlab_rewrites_and_no_other() -> None:
    description = "![x](/uploads/s/x.png)"
    rewritten = f"![x]({U}/s/x.png)"
    payload = {
        "object_kind": "note",
        "object_attributes": {"note": description, "description": description},
        "issue": {"description": description, "title": description},
        "merge_request": {"description": description},
        "commit": {"message": description},
    }
    result = with_absolute_image_urls("Note Hook", payload, I, 123)
    assert result["object_attributes"] == {"note": description, "description": rewritten}  # GitLab keeps note raw
    assert result["issue"] == {"description": rewritten, "title": description}
    assert result["merge_request"] == {"description": rewritten}
    assert result["commit"] == {"message": description}
    assert payload["object_attributes"]["description"] == description  # the input is not changed
    untouched = {"object_kind": "push", "commits": [{"message": description}]}
    assert with_absolute_image_urls("Push Hook", untouched, I, 123) is untouched
    assert with_absolute_image_urls("Release Hook", {"description": description}, I, 123) == {"description": rewritten}
    wiki = {"object_attributes": {"content": description}}
    assert with_absolute_image_urls("Wiki Page Hook", wiki, I, 123) == {"object_attributes": {"content": rewritten}}
    assert set(REWRITTEN_FIELDS) == {
        "Issue Hook",
        "Confidential Issue Hook",
        "Merge Request Hook",
        "Note Hook",
        "Confidential Note Hook",
        "Wiki Page Hook",
        "Release Hook",
        "Emoji Hook",
    }


@pytest.mark.parametrize(
    "payload",
    [
        {"object_attributes": "a string"},
        {"object_attributes": {"description": 7}},
        {"object_attributes": {"description": None}},
        {"object_attributes": ["x"]},
        {},
    ],
)
def test_hostile_shapes_are_left_as_they_are(payload: dict) -> None:
    assert with_absolute_image_urls("Issue Hook", payload, I, 123) is payload


def test_ten_thousand_references_grow_the_payload_by_at_most_the_limit_in_linear_time() -> None:
    """A producer's payload full of image references: rewritten until the growth budget is spent, then left."""
    text = "![i](/uploads/abcdef/i.png)\n" * 10_000
    started = time.perf_counter()
    result = with_absolute_image_urls("Issue Hook", {"object_attributes": {"description": text}}, I, 123)
    elapsed = time.perf_counter() - started
    out = result["object_attributes"]["description"]
    assert 0 < len(out) - len(text) <= GROWTH_LIMIT
    assert out.count(U) == GROWTH_LIMIT // len(f"{I}/-/project/123")
    assert out.count("](/uploads/") == 10_000 - out.count(U)  # the rest left as they were
    assert elapsed < 2.0
    # adversarial backtracking bait: many openers and no closers
    bait = "![" * 50_000 + "[" * 50_000 + "](" * 50_000
    started = time.perf_counter()
    assert absolute_image_urls(bait, I, 123) == bait
    assert time.perf_counter() - started < 2.0


def test_the_growth_budget_is_shared_by_an_events_fields() -> None:
    text = "![i](/uploads/a/i.png)" * 7_000
    payload = {"object_attributes": {"description": text}, "issue": {"description": text}}
    result = with_absolute_image_urls("Note Hook", payload, I, 123)
    grown = sum(len(result[key]["description"]) - len(text) for key in ("object_attributes", "issue"))
    assert 0 < grown <= GROWTH_LIMIT
    assert result["issue"]["description"] == text  # the first field spent the budget
