"""Who a request comes from.

The admin token: Secrets Manager in AWS, ``HOOKLINE_ADMIN_TOKEN`` locally; only its hash is kept in memory. Any other
token is a group or project access token, or a portal session (``hlps-``), looked up by its SHA-256 (one GetItem).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from hookline.adapters.aws import secretsmanager
from hookline.config import runtime_config
from hookline.domain.access import ADMIN, Principal
from hookline.domain.portal import SESSION_PREFIX
from hookline.wiring import access_tokens, portal_links


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@cache
def admin_token_hash() -> bytes | None:
    config = runtime_config()
    token = config.admin_token.get_secret_value() if config.admin_token else None
    if not token and config.admin_token_secret:
        token = secretsmanager().get_secret_value(SecretId=config.admin_token_secret)["SecretString"]
    return token_hash(token) if token else None


def is_admin(token: str) -> bool:
    expected = admin_token_hash()
    return expected is not None and hmac.compare_digest(expected, token_hash(token))


def authenticate(token: str) -> Principal | None:
    """The admin, the principal of an active access token, or None (no token, unknown, revoked or expired: 401)."""
    if not token:
        return None
    if is_admin(token):
        return ADMIN
    if token.startswith(SESSION_PREFIX):
        return portal_links().authenticate(token)
    return access_tokens().authenticate(token)
