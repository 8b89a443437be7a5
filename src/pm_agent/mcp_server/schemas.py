"""Compact JSON schemas for ``tools/list``: one level of properties instead of every nested model.

Pydantic's schema of a postmortem is 14 KB of ``$defs``; sent for every tool, it made ``tools/list``
71 KB and slowed every client's start. The compact form keeps each top-level field's type and
description, and for arrays the type of their items. It is looser than the full schema (nested
objects are just ``object``), so every result the full schema accepts, it accepts too; the full
models stay in the documentation and the server still validates what it returns.
"""

from __future__ import annotations

from typing import Any

JsonSchema = dict[str, Any]
KEPT_CONSTRAINTS = ("minItems", "maxItems", "minLength", "minimum", "maximum", "format")


def compact_schema(schema: JsonSchema) -> JsonSchema:
    """``schema`` (an object schema with ``$defs``) cut to its top-level properties, refs resolved one level."""
    defs = schema.get("$defs", {})
    properties = {name: shallow(spec, defs) for name, spec in schema.get("properties", {}).items()}
    compact: JsonSchema = {"type": "object", "properties": properties}
    if schema.get("required"):
        compact["required"] = list(schema["required"])
    return compact


def shallow(spec: JsonSchema, defs: dict[str, JsonSchema]) -> JsonSchema:
    """One property: its JSON types, description, enum (when short) and item types, nothing nested deeper."""
    target = resolved(spec, defs)
    out: JsonSchema = {}
    types = json_types(spec, defs)
    if types:
        out["type"] = types[0] if len(types) == 1 else types
    description = spec.get("description") or target.get("description")
    if description:
        out["description"] = first_sentence(description)
    values = enum_values(spec, defs)
    if values and len(values) <= 12:
        out["enum"] = values + ([None] if "null" in types and None not in values else [])
    for key in KEPT_CONSTRAINTS:
        if key in spec:
            out[key] = spec[key]
    if "array" in types:
        item_types = json_types(array_items(spec, defs), defs)
        if item_types:
            out["items"] = {"type": item_types[0] if len(item_types) == 1 else item_types}
    return out


def json_types(spec: JsonSchema, defs: dict[str, JsonSchema]) -> list[str]:
    """The JSON types ``spec`` allows ([] for any), following refs and unions."""
    spec = resolved(spec, defs)
    if "anyOf" in spec or "oneOf" in spec:
        types: list[str] = []
        for arm in spec.get("anyOf", spec.get("oneOf", [])):
            arm_types = json_types(arm, defs)
            if not arm_types:
                return []
            types += [t for t in arm_types if t not in types]
        return types
    if "type" in spec:
        return list(spec["type"]) if isinstance(spec["type"], list) else [spec["type"]]
    if "enum" in spec or "const" in spec:
        values = spec.get("enum", [spec.get("const")])
        return sorted({_json_type(value) for value in values})
    if "properties" in spec:
        return ["object"]
    return []


def enum_values(spec: JsonSchema, defs: dict[str, JsonSchema]) -> list[Any]:
    spec = resolved(spec, defs)
    if "enum" in spec:
        return list(spec["enum"])
    for arm in spec.get("anyOf", []):
        values = enum_values(arm, defs)
        if values:
            return values
    return []


def array_items(spec: JsonSchema, defs: dict[str, JsonSchema]) -> JsonSchema:
    spec = resolved(spec, defs)
    if "items" in spec:
        return spec["items"]
    for arm in spec.get("anyOf", []):
        arm = resolved(arm, defs)
        if arm.get("type") == "array":
            return arm.get("items", {})
    return {}


def resolved(spec: JsonSchema, defs: dict[str, JsonSchema]) -> JsonSchema:
    ref = spec.get("$ref", "")
    return defs.get(ref.rsplit("/", 1)[-1], {}) if ref else spec


def first_sentence(text: str) -> str:
    """A description's first sentence: the rest repeats what the tool's description says."""
    head = text.strip().split("\n\n", 1)[0]
    end = head.find(". ")
    return head[: end + 1] if end > 0 else head


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string" if isinstance(value, str) else "object"
