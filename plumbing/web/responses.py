"""An answer serialised once: a route that returns a model's JSON bytes as its response skips
FastAPI's second validation and serialisation of what it returns (`response_model` still
documents the shape)."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    return Response(model.model_dump_json().encode(), status_code, media_type="application/json")
