"""Export the contracts as JSON Schema files and one AsyncAPI 3 document, kept in the repo.

python -m contracts.export           write contracts/schemas/*.json and contracts/asyncapi.json
python -m contracts.export --check   fail if the kept files are stale or a change breaks them
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from contracts.compat import breaking_changes
from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.registry import REGISTRY, EventRegistry
from contracts.topics import Topic

HERE = Path(__file__).parent
SCHEMA_DIR = HERE / "schemas"
ASYNCAPI_FILE = HERE / "asyncapi.json"


def schema_file_name(model: type[EventPayload]) -> str:
    return f"{model.event_type}.v{model.schema_version}.json"


def event_schemas(registry: EventRegistry = REGISTRY) -> dict[str, dict[str, Any]]:
    """File name → JSON Schema of each payload, plus the envelope."""
    out = {"envelope.json": Envelope.model_json_schema()}
    for model in registry:
        schema = model.model_json_schema()
        schema["title"] = model.event_type
        schema["x-schema-version"] = model.schema_version
        schema["x-topic"] = model.topic.value
        out[schema_file_name(model)] = schema
    return out


def asyncapi_document(registry: EventRegistry = REGISTRY) -> dict[str, Any]:
    """Size: mostly the document's literal."""
    models = list(registry)
    all_models: list[type[BaseModel]] = [Envelope, *models]
    _, defs = models_json_schema(
        [(m, "validation") for m in all_models],
        ref_template="#/components/schemas/{model}",
    )
    schemas: dict[str, Any] = defs.get("$defs", {})
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic in Topic:
        channel_id = topic.value.replace(".", "_")
        topic_models = [m for m in models if m.topic is topic]
        channel_messages = {}
        for model in topic_models:
            message_id = f"{model.event_type}.v{model.schema_version}"
            messages[message_id] = {
                "name": model.event_type,
                "title": model.__name__,
                "summary": model.summary,
                "contentType": "application/json",
                "headers": {"$ref": "#/components/schemas/KafkaHeaders"},
                "payload": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Envelope"},
                        {
                            "type": "object",
                            "properties": {
                                "event_type": {"const": model.event_type},
                                "schema_version": {"const": model.schema_version},
                                "payload": {"$ref": f"#/components/schemas/{model.__name__}"},
                            },
                        },
                    ]
                },
                "bindings": {"kafka": {"key": {"type": "string", "description": topic.key}}},
            }
            channel_messages[model.__name__] = {"$ref": f"#/components/messages/{message_id}"}
        channels[channel_id] = {
            "address": topic.value,
            "description": f"Keyed by {topic.key}. Poison events go to {topic.dlq}.",
            "messages": channel_messages,
        }
        producer = topic.value.split(".")[0]
        operations[f"{producer}_publishes_{channel_id}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{name}"} for name in channel_messages],
        }
    schemas["KafkaHeaders"] = {
        "type": "object",
        "properties": {"traceparent": {"type": "string", "description": "W3C trace context"}},
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "UniSettle events",
            "version": "1.0.0",
            "description": "Events and commands exchanged by UniSettle's services and platforms.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for name, schema in event_schemas().items():
        (SCHEMA_DIR / name).write_text(_dump(schema))
    ASYNCAPI_FILE.write_text(_dump(asyncapi_document()))


def check() -> list[str]:
    """Problems with the kept files: breaking changes first, then staleness."""
    problems: list[str] = []
    current = event_schemas()
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        kept = json.loads(path.read_text())
        if path.name not in current:
            problems.append(f"{path.name}: event was removed")
            continue
        problems += [f"{path.name}: {p}" for p in breaking_changes(kept, current[path.name])]
    for name, schema in current.items():
        path = SCHEMA_DIR / name
        if not path.exists() or path.read_text() != _dump(schema):
            problems.append(f"{name}: kept schema is stale; run python -m contracts.export")
    if not ASYNCAPI_FILE.exists() or ASYNCAPI_FILE.read_text() != _dump(asyncapi_document()):
        problems.append("asyncapi.json is stale; run python -m contracts.export")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.check:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
