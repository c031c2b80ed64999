"""The kept JSON Schemas guard backward compatibility of every event."""

from __future__ import annotations

import copy
import json

import pytest

from contracts.compat import breaking_changes
from contracts.events.orders import OrderPlaced
from contracts.export import ASYNCAPI_FILE, SCHEMA_DIR, check, event_schemas, schema_file_name


def kept(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((SCHEMA_DIR / name).read_text())  # type: ignore[no-any-return]


def test_kept_schemas_match_the_current_contracts() -> None:
    assert check() == []


def test_every_registered_event_has_a_kept_schema_and_an_asyncapi_message() -> None:
    names = set(event_schemas())
    assert {p.name for p in SCHEMA_DIR.glob("*.json")} == names
    messages = json.loads(ASYNCAPI_FILE.read_text())["components"]["messages"]
    assert len(messages) == len(names) - 1  # every event, not the envelope itself


def test_removing_a_field_is_a_breaking_change() -> None:
    current = kept(schema_file_name(OrderPlaced))
    changed = copy.deepcopy(current)
    del changed["properties"]["grant_id"]
    changed["required"].remove("grant_id")
    assert breaking_changes(current, changed) == ["field 'grant_id' was removed"]


def test_retyping_a_field_is_a_breaking_change() -> None:
    current = kept(schema_file_name(OrderPlaced))
    changed = copy.deepcopy(current)
    changed["properties"]["checkout_id"] = {"type": "integer"}
    assert breaking_changes(current, changed) == [
        "field 'checkout_id' changed type from ('string', None) to ('integer', None)"
    ]


def test_retyping_a_nested_field_is_a_breaking_change() -> None:
    current = kept(schema_file_name(OrderPlaced))
    changed = copy.deepcopy(current)
    changed["$defs"]["Money"]["properties"]["amount_minor"] = {"type": "number"}
    problems = breaking_changes(current, changed)
    assert "field 'total.amount_minor' changed type from ('integer', None) to ('number', None)" in problems


def test_a_new_required_field_is_a_breaking_change_and_a_new_optional_one_is_not() -> None:
    current = kept(schema_file_name(OrderPlaced))
    optional = copy.deepcopy(current)
    optional["properties"]["purchase_note"] = {"type": "string", "default": ""}
    assert breaking_changes(current, optional) == []
    required = copy.deepcopy(optional)
    required["required"].append("purchase_note")
    assert breaking_changes(current, required) == ["field 'purchase_note' is newly required"]


@pytest.mark.parametrize("name", sorted(p.name for p in SCHEMA_DIR.glob("*.json")))
def test_money_is_never_a_float(name: str) -> None:
    text = (SCHEMA_DIR / name).read_text()
    assert '"type": "number"' not in text
