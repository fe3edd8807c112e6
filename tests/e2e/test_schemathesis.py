"""schemathesis against the OpenAPI document the local stack serves: no 5xx, no response that breaks the schema.

The fuzzer never makes Hookline send anything: the operations that deliver (test, resend, recover, the system hook
test) are excluded, the SQS pollers are not running in this module, and every hook the fuzzer created is checked to
have no delivery log before it is deleted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis.specs.openapi.checks import positive_data_acceptance

from hookline import settings
from hookline.adapters.aws import dynamodb, to_item
from hookline.adapters.delivery_store import DeliveryStore
from hookline.wiring import hook_admin
from infra.local.stack import LocalStack

#: Operations that send a request to the hook's URL, which the fuzzer chooses.
SENDING = r"/test/|/resend$|/recover$"
EXAMPLES = 15
# GitLab validates beyond the schema (http/https URLs, RE2 patterns, url variables for every ``{key}``, known
# namespaces), so a schema-valid request may get a 400, 404 or 422: "valid data is accepted" does not apply.


def _last_hook_id() -> int:
    """The hook counter, read without moving it (0 before the first hook)."""
    table = settings.HOOKS_TABLE
    key = to_item({table.partition_key: "COUNTER", table.sort_key: "hook"})
    item = dynamodb().get_item(TableName=table.name, Key=key, ConsistentRead=True).get("Item")
    return int(item["value"]["N"]) if item else 0


@pytest.fixture(scope="module")
def served_schema(stack: LocalStack) -> Iterator[schemathesis.BaseSchema]:
    """The served document, minus the sending operations; the fuzzer's hooks are checked and removed afterwards."""
    stack.stop_pollers()
    first = _last_hook_id() + 1
    schema = schemathesis.openapi.from_url(f"{stack.api_url}/api/v4/openapi.json")
    schema = schema.exclude(path_regex=SENDING).exclude(method="POST", path="/api/v4/hooks/{hook_id}")
    assert not [op for op in schema.get_all_operations() if re.search(SENDING, op.ok().path)]
    yield schema
    store, deliveries = hook_admin().store, DeliveryStore()
    made = range(first, _last_hook_id() + 1)  # every hook the fuzzer created, deleted since or not
    for hook in filter(None, map(store.get, made)):
        store.delete(hook)
    assert not [hook_id for hook_id in made if deliveries.recent_logs(hook_id)], "the fuzzer made a hook send"


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])
def test_api_answers_within_its_schema(
    served_schema: schemathesis.BaseSchema, stack: LocalStack, mode: schemathesis.GenerationMode
) -> None:
    auth = {"PRIVATE-TOKEN": stack.admin_token}
    failures: list[str] = []
    for result in served_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @hypothesis_settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=auth, excluded_checks=[positive_data_acceptance])

        try:
            fuzz()
        except Unsatisfiable:  # no negative value exists for a bare string path parameter
            continue
        except (Exception, BaseExceptionGroup) as error:  # one operation's failure must not hide the others'
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert not failures, "\n\n".join(failures)
