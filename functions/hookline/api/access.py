"""Who the request being resolved comes from, and the one access check every route makes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from hookline.domain.access import Principal, may_manage
from hookline.domain.errors import Forbidden
from hookline.domain.events import HookKind
from hookline.services.hook_admin import Namespace, namespace_not_found
from hookline.wiring import hook_admin

#: Set by the authentication middleware; per thread, as the local API server is threaded.
_PRINCIPAL: ContextVar[Principal] = ContextVar("principal")


@contextmanager
def acting_as(principal: Principal) -> Iterator[None]:
    reset = _PRINCIPAL.set(principal)
    try:
        yield
    finally:
        _PRINCIPAL.reset(reset)


def principal() -> Principal:
    return _PRINCIPAL.get()


def managed_namespace(kind: HookKind, ref: str | None = None, *, creating: bool = False) -> Namespace:
    """The namespace a route addresses, if the caller may manage it.

    System hooks are the admin's: 403 for an access token. A namespace the token may not manage answers as an unknown
    one (404), so another tenant's namespaces and hooks do not show they exist.
    """
    caller = principal()
    if kind is HookKind.SYSTEM and not caller.is_admin:
        raise Forbidden()
    namespace = hook_admin().namespace(kind, ref, creating=creating)
    if not may_manage(caller, namespace.kind, namespace.keys, namespace.path):
        raise namespace_not_found(kind)
    return namespace
