"""Custom webhook templates: every case of the reference, and Hookline's array indexing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hookline.domain.templates import ARRAY_ACCESS_ERROR, TemplateError, render_template

PAYLOAD: dict[str, Any] = {
    "object_kind": "push",
    "before": "oldrev",
    "quoted": 'say "hi"\n',
    "total": 3,
    "flag": True,
    "nothing": None,
    "project": {"name": "Example", "id": 42},
    "commits": [{"id": "first"}, {"id": "second"}, {"id": "last"}],
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{"before":"{{before}}"}', {"before": "oldrev"}),  # the reference's example
        ('{"event":"{{object_kind}}","project_name":"{{project.name}}"}', {"event": "push", "project_name": "Example"}),
        ('{"q":"{{quoted}}"}', {"q": 'say "hi"\n'}),  # a string goes in JSON-escaped, without quotes
        ('{"n":{{total}},"b":{{flag}},"z":{{nothing}}}', {"n": 3, "b": True, "z": None}),  # literals
        ('{"p":{{project}}}', {"p": {"name": "Example", "id": 42}}),  # objects as JSON
        ('{"c":{{commits}}}', {"c": PAYLOAD["commits"]}),  # arrays as JSON
        ('{"m":{{missing}},"deep":{{project.missing.deeper}}}', {"m": None, "deep": None}),  # missing is null
        ('{"m":"{{missing}}"}', {"m": "null"}),
        ('{"x":"{{ before }}"}', {"x": "null"}),  # nothing is trimmed
        ('{"x":"{{event}"}', {"x": "{{event}"}),  # unterminated: left unchanged
        ('{"a":"{{before}}","b":"{{object_kind}}"}', {"a": "oldrev", "b": "push"}),  # non-greedy
        # Hookline's extension: an all-digit segment indexes an array
        ('{"first":"{{commits.0.id}}","last":"{{commits.-1.id}}"}', {"first": "first", "last": "last"}),
        ('{"out":{{commits.7.id}}}', {"out": None}),
    ],
)
def test_renders(template: str, expected: Any) -> None:
    assert json.loads(render_template(template, PAYLOAD)) == expected


@pytest.mark.parametrize(
    "template",
    [
        '{"t":"{{commits.id}}"}',  # a name into an array: GitLab's error
        '{"t":"{{before.length}}"}',  # into a string
        '{"t":"{{total.0}}"}',  # into a number
    ],
)
def test_array_access_is_gitlabs_error(template: str) -> None:
    with pytest.raises(TemplateError) as error:
        render_template(template, PAYLOAD)
    assert str(error.value) == ARRAY_ACCESS_ERROR
    assert str(error.value) == (
        "Error while parsing rendered custom webhook template: "
        "You may be trying to access an array value, which is not supported."
    )


@pytest.mark.parametrize("template", ['{"test":"{{before}}}', "not json", '{"x": NaN}'])
def test_a_rendering_that_is_not_json_is_a_parse_error(template: str) -> None:
    with pytest.raises(TemplateError) as error:
        render_template(template, PAYLOAD)
    assert str(error.value).startswith("Error while parsing rendered custom webhook template: ")
    assert "array value" not in str(error.value)


def test_the_parsed_value_is_sent_compactly() -> None:
    assert render_template('{ "a" : [ 1, 2 ] }', {}) == '{"a":[1,2]}'
