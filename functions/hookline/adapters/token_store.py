"""Group and project access tokens in the hooks table, stored only as the SHA-256 of their value.

Items:
- ``TOKEN#<sha256 hex>`` / ``TOKEN``: one token (name, scopes, expiry, revoked, the namespace it was made for). A
  request authenticates with one GetItem of it.
- ``TOKENS#<scope key>`` / ``TOKENS``: a namespace's listing, one attribute ``t<id>`` = digest per token.
- ``TOKEN#<sha256 hex>`` / ``CREATED``: the tokens a token made (``t<id>`` = digest), which its revocation revokes.
- ``COUNTER`` / ``token``: the last token id handed out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from botocore.exceptions import ClientError

from hookline import settings
from hookline.adapters.aws import batch_get, dynamodb, from_item, increment, to_item
from hookline.domain.access import DEFAULT_ACCESS_LEVEL, AccessToken
from hookline.domain.events import HookKind

_TABLE = settings.HOOKS_TABLE


def _key(partition: str, sort: str) -> dict[str, Any]:
    return to_item({_TABLE.partition_key: partition, _TABLE.sort_key: sort})


def _token_key(digest: str) -> dict[str, Any]:
    return _key(f"TOKEN#{digest}", "TOKEN")


def _listing_key(scope_key: str) -> dict[str, Any]:
    return _key(f"TOKENS#{scope_key}", "TOKENS")


def _created_key(creator_digest: str) -> dict[str, Any]:
    return _key(f"TOKEN#{creator_digest}", "CREATED")


def _listed(table: str, key: dict[str, Any], token: AccessToken) -> dict[str, Any]:
    """A transaction item adding ``token`` to a listing (a namespace's, or its creator's)."""
    return {
        "Update": {
            "TableName": table,
            "Key": key,
            "UpdateExpression": "SET #t = :digest",
            "ExpressionAttributeNames": {"#t": f"t{token.id}"},
            "ExpressionAttributeValues": to_item({":digest": token.digest}),
        }
    }


def _digests(listing: dict[str, Any]) -> list[str]:
    return [value for name, value in from_item(listing).items() if name.startswith("t") and name[1:].isdigit()]


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
                "user_id": token.bot_user_id,
                "access_level": token.access_level,
                "description": token.description,
                "creator": token.creator,
                "successor": token.successor,
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
        user_id=int(values["user_id"]) if "user_id" in values else None,
        access_level=int(values.get("access_level", DEFAULT_ACCESS_LEVEL)),
        description=values.get("description"),
        creator=values.get("creator"),
        successor=values.get("successor"),
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
        """Write a new token, its entry in its namespace's listing and in its creator's, in one transaction."""
        dynamodb().transact_write_items(TransactItems=self._new(token))

    def _new(self, token: AccessToken) -> list[Any]:
        items: list[Any] = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": _token_item(token),
                    "ConditionExpression": "attribute_not_exists(#pk)",
                    "ExpressionAttributeNames": {"#pk": _TABLE.partition_key},
                }
            },
            _listed(self.table_name, _listing_key(token.keys[0]), token),
        ]
        if token.creator:
            items.append(_listed(self.table_name, _created_key(token.creator), token))
        return items

    def rotate(self, old: AccessToken, new: AccessToken) -> bool:
        """Revoke ``old`` and write ``new`` (its successor) in one transaction; False when ``old`` was revoked
        meanwhile (or is gone)."""
        try:
            dynamodb().transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": _token_key(old.digest),
                            "UpdateExpression": "SET revoked = :t, successor = :next",
                            "ConditionExpression": "attribute_exists(#pk) AND revoked = :f",
                            "ExpressionAttributeNames": {"#pk": _TABLE.partition_key},
                            "ExpressionAttributeValues": to_item({":t": True, ":f": False, ":next": new.digest}),
                        }
                    },
                    *self._new(new),
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                current = self.get(old.digest)
                if current is None or current.revoked:
                    return False
            raise
        return True

    def created_by(self, digests: Iterable[str]) -> list[str]:
        """The digests of the tokens these tokens made."""
        listings = batch_get(self.table_name, [_created_key(digest) for digest in dict.fromkeys(digests)])
        return [digest for listing in listings for digest in _digests(listing)]

    def list_for_scopes(self, scope_keys: Iterable[str]) -> list[AccessToken]:
        """The tokens listed under any of these keys (a namespace by id and by path), oldest first."""
        listings = batch_get(self.table_name, [_listing_key(key) for key in dict.fromkeys(scope_keys)])
        digests = [digest for listing in listings for digest in _digests(listing)]
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
