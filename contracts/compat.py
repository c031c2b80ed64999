"""Backward-compatibility rules between a kept JSON Schema and the current one.

A change is breaking when a consumer written against the kept schema could no longer read new
events, or a producer of the kept schema could no longer be read: a field removed or retyped,
or a new required field. Adding an optional field is safe.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def breaking_changes(kept: Schema, current: Schema) -> list[str]:
    """Human-readable list of what `current` breaks relative to `kept` (empty when compatible)."""
    return _compare_object(kept, current, kept.get("$defs", {}), current.get("$defs", {}), "")


def _resolve(node: Schema, defs: dict[str, Schema]) -> Schema:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _resolve(defs[ref.removeprefix("#/$defs/")], defs)
    return node


def _type_signature(node: Schema, defs: dict[str, Schema]) -> Any:
    node = _resolve(node, defs)
    if "anyOf" in node:
        return ("anyOf", sorted(repr(_type_signature(n, defs)) for n in node["anyOf"]))
    if node.get("type") == "array":
        return ("array", _type_signature(node.get("items", {}), defs))
    if node.get("type") == "object" and "properties" in node:
        return ("object",)
    if "enum" in node:
        return ("enum", node.get("type", "string"))
    if "const" in node:
        return ("const", node["const"])
    return (node.get("type"), node.get("format"))


def _compare_object(
    kept: Schema,
    current: Schema,
    kept_defs: dict[str, Schema],
    cur_defs: dict[str, Schema],
    path: str,
) -> list[str]:
    kept = _resolve(kept, kept_defs)
    current = _resolve(current, cur_defs)
    problems: list[str] = []
    kept_props: dict[str, Schema] = kept.get("properties", {})
    cur_props: dict[str, Schema] = current.get("properties", {})
    for name, kept_field in kept_props.items():
        where = f"{path}{name}"
        if name not in cur_props:
            problems.append(f"field {where!r} was removed")
            continue
        before = _type_signature(kept_field, kept_defs)
        after = _type_signature(cur_props[name], cur_defs)
        if before != after:
            problems.append(f"field {where!r} changed type from {before} to {after}")
        elif before == ("object",):
            problems += _compare_object(kept_field, cur_props[name], kept_defs, cur_defs, f"{where}.")
        elif before[0] == "enum":
            removed = set(_enum_values(kept_field, kept_defs)) - set(_enum_values(cur_props[name], cur_defs))
            if removed:
                problems.append(f"field {where!r} lost enum values {sorted(removed)}")
    new_required = set(current.get("required", [])) - set(kept.get("required", []))
    for name in sorted(new_required):
        problems.append(f"field {path}{name!r} is newly required")
    return problems


def _enum_values(node: Schema, defs: dict[str, Schema]) -> list[Any]:
    return list(_resolve(node, defs).get("enum", []))
