"""Money and counts in every request body are integers as sent: `100000.0` fen, `true` or `"5"`
is refused (422 `invalid_request` naming the field), never read as a number. Found from the
apps' own routes, so a new body with a lax integer fails here."""

from __future__ import annotations

import types
import typing
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from tests.apps import operations, service_apps


def body_models() -> dict[str, type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for name, app in service_apps().items():
        for op in operations(app):
            for param in op.dependant.body_params:
                model = param.field_info.annotation
                if isinstance(model, type) and issubclass(model, BaseModel):
                    found[f"{name} {op.method} {op.path}"] = model
    return found


def integer_fields(model: type[BaseModel], prefix: str = "") -> list[tuple[str, bool]]:
    """(path of every integer in the model, nested models and containers included; is it strict)."""
    out: list[tuple[str, bool]] = []
    for name, field in model.model_fields.items():
        out += _walk(field.annotation, f"{prefix}{name}", any(_says_strict(m) for m in field.metadata))
    return out


def _says_strict(meta: Any) -> bool:
    """`Strict()`, or a `Field(strict=True)` (whose metadata holds it)."""
    return bool(getattr(meta, "strict", False)) or any(_says_strict(m) for m in getattr(meta, "metadata", ()))


def _walk(annotation: Any, path: str, strict: bool) -> list[tuple[str, bool]]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *meta = typing.get_args(annotation)
        return _walk(inner, path, strict or any(_says_strict(m) for m in meta))
    if annotation is int:
        return [(path, strict)]
    if annotation is bool or annotation is None or annotation is type(None):
        return []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return integer_fields(annotation, f"{path}.")
    if origin in (list, tuple, set, frozenset):
        return [p for arg in typing.get_args(annotation) for p in _walk(arg, f"{path}[]", strict)]
    if origin is dict:
        return _walk(typing.get_args(annotation)[1], f"{path}{{}}", strict)
    if origin in (typing.Union, types.UnionType):
        return [p for arg in typing.get_args(annotation) for p in _walk(arg, path, strict)]
    return []


def test_every_integer_in_a_request_body_is_strict() -> None:
    lax = [
        f"{route}: {path}"
        for route, model in body_models().items()
        for path, strict in integer_fields(model)
        if not strict
    ]
    assert lax == []
    assert len(body_models()) > 15


@pytest.mark.parametrize("value", [100_000.0, True, "100000"])
def test_a_budget_that_is_not_an_integer_is_refused_naming_the_field(value: object) -> None:
    from services.settlement.grants.api.schemas import BudgetIn

    with pytest.raises(ValidationError) as refused:
        BudgetIn.model_validate({"category": "reagents", "budget_minor": value, "reason": "r"})
    assert [e["loc"] for e in refused.value.errors()] == [("budget_minor",)]
    assert BudgetIn.model_validate({"category": "reagents", "budget_minor": 100_000, "reason": "r"})
