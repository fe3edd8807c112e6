"""The API's routes, one Powertools ``Router`` per resource; ``hookline.api.app`` includes each of ``ROUTERS``.

- ``hooks``: project, group and system hooks (CRUD, test, signing token, recover);
- ``events``: recent events and resend, url variables and custom headers;
- ``access_tokens``: group and project access tokens;
- ``namespaces``: the projects and groups Hookline knows.

Routes GitLab has for several kinds of hook are written once and registered per scope (``scopes.register``): a
handler takes the ``Namespace`` the caller may manage, then its own parameters. A route outside any namespace (the
instance's ``/user``, ``/version``, ``/metadata``) is a plain ``@router.get`` in a router of its own, reading the caller
with ``hookline.api.access.principal()``; add its router to ``ROUTERS`` in ``hookline.api.app``.
"""
