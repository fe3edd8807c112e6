"""Fairness between tenants: the message group a delivery travels in on the delivery queue (an SQS fair queue).

SQS fair queues tell tenants apart by ``MessageGroupId``: when one group's messages take a disproportionate share of
the consumers, SQS hands out the other groups' messages first. Hookline's tenant is the top-level namespace (as for the
namespace rate limit and the recursion guard); system hooks, which every tenant's events reach, share a group of
their own.
"""

from __future__ import annotations

import hashlib
import string

#: SQS's bound on a MessageGroupId, and the characters it takes: ASCII letters, digits and punctuation.
MAX_GROUP_LENGTH = 128
_ALLOWED = frozenset(string.ascii_letters + string.digits + string.punctuation)
#: Prefixes no tenant's name can forge: a name as it is (``t:``), a digest of one (``d:``), the system hooks (``s``).
_NAME, _DIGEST = "t:", "d:"
SYSTEM_GROUP = "s"


def message_group(tenant: str | None) -> str:
    """The group of a tenant's deliveries (None: the system hooks'). A name that is too long, or has a character SQS
    refuses, becomes its SHA-256 digest: bounded, and still one group per tenant."""
    if tenant is None:
        return SYSTEM_GROUP
    if len(tenant) <= MAX_GROUP_LENGTH - len(_NAME) and tenant and set(tenant) <= _ALLOWED:
        return _NAME + tenant
    return _DIGEST + hashlib.sha256(tenant.encode("utf-8", "surrogatepass")).hexdigest()
