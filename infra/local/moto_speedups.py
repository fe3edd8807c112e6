"""Memoises three pure functions moto recomputes on every request; for the local stack's moto server only.

Profiled on moto 5.2.5 under the bench's load, these took most of the server's time:

- ``camelcase_to_underscores``: SQS rebuilds every queue attribute's name with it each time it reads a queue;
- ``backends.list_of_moto_modules``: the dispatcher lists moto's package directory on every request;
- ``jsonpath_ng.ext.parse``: EventBridge builds a parser (a PLY grammar) for each input path of each target, per event.

Each is a pure function of its argument (or of the installed package), so a cache changes no answer. Every patch
checks that the function it replaces is still there, so a moto upgrade that moves one fails loudly, not silently.
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
