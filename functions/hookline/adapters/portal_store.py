"""Portal codes and sessions in the deliveries table, stored only as the SHA-256 of their value, with its TTL.

Items: ``PORTAL#<sha256 hex>`` / ``CODE`` (a one-time code) and ``PORTAL#<sha256 hex>`` / ``SESSION`` (a session).
TTL deletion lags, so the service checks ``expires_at`` on every read; a used code is kept until its TTL so that a
second use is told so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from hookline import settings
from hookline.adapters.aws import dynamodb, from_item, to_item
from hookline.domain.events import HookKind
from hookline.domain.portal import PortalGrant

_TABLE = settings.DELIVERIES_TABLE
_TTL = _TABLE.ttl_attribute or "expires_at"
CODE = "CODE"
SESSION = "SESSION"


def _key(digest: str, kind: str) -> dict[str, Any]:
    return to_item({_TABLE.partition_key: f"PORTAL#{digest}", _TABLE.sort_key: kind})


class PortalStore:
    def __init__(self, table_name: str | None = None) -> None:
        self.table_name = table_name or _TABLE.name

    def put(self, kind: str, grant: PortalGrant) -> None:
        item = {
            "ns_kind": grant.kind.value,
            "ns_keys": list(grant.keys),
            "ns_path": grant.path,
            "ns_id": grant.namespace_id,
            "valid_until": grant.expires_at.isoformat(timespec="microseconds"),
            "used": False,
            "creator": grant.creator,
            _TTL: int(grant.expires_at.timestamp()) + 1,
        }
        dynamodb().put_item(
            TableName=self.table_name,
            Item={**_key(grant.digest, kind), **to_item(item)},
            ConditionExpression="attribute_not_exists(#pk)",
            ExpressionAttributeNames={"#pk": _TABLE.partition_key},
        )

    def get(self, kind: str, digest: str) -> PortalGrant | None:
        item = dynamodb().get_item(TableName=self.table_name, Key=_key(digest, kind), ConsistentRead=True).get("Item")
        if not item:
            return None
        values = from_item(item)
        return PortalGrant(
            digest=digest,
            kind=HookKind(values["ns_kind"]),
            keys=tuple(values["ns_keys"]),
            path=values.get("ns_path"),
            namespace_id=int(values["ns_id"]) if "ns_id" in values else None,
            expires_at=datetime.fromisoformat(values["valid_until"]),
            used=bool(values["used"]),
            creator=values.get("creator"),
        )

    def use(self, digest: str) -> bool:
        """Mark a code used, once: False when it was already used (or is gone), so two racing exchanges get one."""
        try:
            dynamodb().update_item(
                TableName=self.table_name,
                Key=_key(digest, CODE),
                UpdateExpression="SET used = :t",
                ConditionExpression="attribute_exists(#pk) AND used = :f",
                ExpressionAttributeNames={"#pk": _TABLE.partition_key},
                ExpressionAttributeValues=to_item({":t": True, ":f": False}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
