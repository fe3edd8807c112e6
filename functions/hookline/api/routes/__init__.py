"""The API's routes, one Powertools ``Router`` per resource; ``hookline.api.app`` includes each of ``ROUTERS``.

- ``hooks``: project, group and system hooks (CRUD, test, signing token, recover);
- ``events``: recent events and resend, url variables and custom headers;
- ``access_tokens``: group and project access tokens;
- ``namespaces``: the projects and groups Hookline knows.

Routes GitLab has for several kinds of hook are written once and registered per scope (``scopes.register``).
"""
