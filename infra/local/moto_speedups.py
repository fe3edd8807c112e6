"""Speeds up moto's request handling for the local stack's moto server, without changing any answer.

Profiled on moto 5.2.5 under the bench's load, these took most of the server's time:

- ``camelcase_to_underscores``: SQS rebuilds every queue attribute's name with it each time it reads a queue;
- ``backends.list_of_moto_modules``: the dispatcher lists moto's package directory on every request;
- ``jsonpath_ng.ext.parse``: EventBridge builds a parser (a PLY grammar) for each input path of each target, per event;
- the response serializer looks up every member of a structure through alias providers, even when the value is a
  plain dict already in wire form: each DynamoDB attribute value tries all ten of ``S``, ``N``, ``B``, ``M``, ...

The first three are pure functions of their argument (or of the installed package) and are memoised. For the fourth,
a plain dict's member is looked up under the same candidate keys the alias providers give (memoised per member and
shape: for a dict they depend on nothing else). A moto upgrade that moves any of these fails ``apply`` loudly, and
tests/integration/test_local_moto.py compares answers with and without the speed-ups.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any


def _memoise_everywhere(module: Any, name: str) -> None:
    """Replace ``module.name`` with a memoised copy, also where moto's modules imported it by name already."""
    original: Callable[..., Any] = getattr(module, name)
    cached = functools.lru_cache(maxsize=4096)(original)
    for loaded in list(sys.modules.values()):
        if getattr(loaded, "__name__", "").startswith("moto") and getattr(loaded, name, None) is original:
            setattr(loaded, name, cached)
    setattr(module, name, cached)


def apply() -> None:
    import jsonpath_ng.ext
    from moto import backends
    from moto.core import utils

    _memoise_everywhere(utils, "camelcase_to_underscores")
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=1024)(jsonpath_ng.ext.parse)
    _plain_dict_members_looked_up_directly()


def _plain_dict_members_looked_up_directly() -> None:
    from moto.core import serialize

    original = serialize.ResponseSerializer._serialize_structure_member
    candidates: dict[tuple[str, Any], tuple[str, ...]] = {}

    def serialize_member(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        picker = self._value_picker
        if (
            type(value) is not dict
            or type(picker) is not serialize.XFormedAttributePicker
            or picker.response_transformers
        ):
            return original(self, serialized, value, shape, key)
        keys = candidates.get((key, shape))
        if keys is None:
            context = serialize.AttributePickerContext(obj=value, key=key, shape=shape)
            keys = candidates[(key, shape)] = tuple(picker.get_possible_keys(context))
        if any("." in candidate for candidate in keys):  # a path into nested objects: moto's own lookup
            return original(self, serialized, value, shape, key)
        member = next((value[candidate] for candidate in keys if candidate in value), None)
        if member is not None:
            self._serialize(serialized, member, shape, key)
        return None

    serialize.ResponseSerializer._serialize_structure_member = serialize_member  # type: ignore[method-assign]
