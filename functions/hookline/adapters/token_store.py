"""Group and project access tokens in the hooks table, stored only as the SHA-256 of their value.

Items:
- ``TOKEN#<sha256 hex>`` / ``TOKEN``: one token (name, scopes, expiry, revoked, the namespace it was made for). A
  request authenticates with one GetItem of it.
- ``TOKENS#<scope key>`` / ``TOKENS``: a namespace's listing, one attribute ``t<id>`` = digest per token.
- ``COUNTER`` / ``token``: the last token id handed out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from botocore.exceptions import ClientError

from hookline import settings
from hookline.adapters.aws import batch_get, dynamodb, from_item, increment, to_item
from hookline.domain.access import AccessToken
from hookline.domain.events import HookKind

_TABLE = settings.HOOKS_TABLE


def _key(partition: str, sort: str) -> dict[str, Any]:
    return to_item({_TABLE.partition_key: partition, _TABLE.sort_key: sort})


def _token_key(digest: str) -> dict[str, Any]:
    return _key(f"TOKEN#{digest}", "TOKEN")


def _listing_key(scope_key: str) -> dict[str, Any]:
    return _key(f"TOKENS#{scope_key}", "TOKENS")


def _token_item(token: AccessToken) -> dict[str, Any]:
    # no attribute named like the by_scope index's keys: token items stay out of the index
    return {
        **_token_key(token.digest),
        **to_item(
            {
                "token_id": token.id,
                "name": token.name,
                "scopes": list(token.scopes),
                "expires_on": token.expires_on.isoformat(),
                "created_at": token.created_at.isoformat(timespec="microseconds"),
                "revoked": token.revoked,
                "ns_kind": token.kind.value,
                "ns_keys": list(token.keys),
                "ns_path": token.path,
                "ns_id": token.namespace_id,
            }
        ),
    }


def _token_from_item(item: dict[str, Any]) -> AccessToken:
    values = from_item(item)
    return AccessToken(
        id=int(values["token_id"]),
        digest=values[_TABLE.partition_key].removeprefix("TOKEN#"),
        name=values["name"],
        scopes=tuple(values["scopes"]),
        expires_on=date.fromisoformat(values["expires_on"]),
        created_at=datetime.fromisoformat(values["created_at"]),
        revoked=bool(values["revoked"]),
        kind=HookKind(values["ns_kind"]),
        keys=tuple(values["ns_keys"]),
        path=values.get("ns_path"),
        namespace_id=int(values["ns_id"]) if "ns_id" in values else None,
    )


class TokenStore:
    def __init__(self, table_name: str | None = None) -> None:
        self.table_name = table_name or _TABLE.name

    def next_token_id(self) -> int:
        return increment(self.table_name, _key("COUNTER", "token"))

    def get(self, digest: str) -> AccessToken | None:
        """The token with this digest: one GetItem, the only read that authenticates a request."""
        item = dynamodb().get_item(TableName=self.table_name, Key=_token_key(digest), ConsistentRead=True).get("Item")
        return _token_from_item(item) if item else None

    def put(self, token: AccessToken) -> None:
        """Write a new token and its entry in its namespace's listing, in one transaction."""
        dynamodb().transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": _token_item(token),
                        "ConditionExpression": "attribute_not_exists(#pk)",
                        "ExpressionAttributeNames": {"#pk": _TABLE.partition_key},
                    }
                },
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": _listing_key(token.keys[0]),
                        "UpdateExpression": "SET #t = :digest",
                        "ExpressionAttributeNames": {"#t": f"t{token.id}"},
                        "ExpressionAttributeValues": to_item({":digest": token.digest}),
                    }
                },
            ]
        )

    def list_for_scopes(self, scope_keys: Iterable[str]) -> list[AccessToken]:
        """The tokens listed under any of these keys (a namespace by id and by path), oldest first."""
        listings = batch_get(self.table_name, [_listing_key(key) for key in dict.fromkeys(scope_keys)])
        digests = [
            value
            for listing in listings
            for name, value in from_item(listing).items()
            if name.startswith("t") and name[1:].isdigit()
        ]
        items = batch_get(self.table_name, [_token_key(digest) for digest in dict.fromkeys(digests)])
        tokens = [_token_from_item(item) for item in items]
        return sorted(tokens, key=lambda token: token.id)

    def revoke(self, digest: str) -> bool:
        """Mark a token revoked; False when it does not exist."""
        try:
            dynamodb().update_item(
                TableName=self.table_name,
                Key=_token_key(digest),
                UpdateExpression="SET revoked = :t",
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames={"#pk": _TABLE.partition_key},
                ExpressionAttributeValues=to_item({":t": True}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
