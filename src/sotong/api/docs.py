"""The API reference at /api/v1/docs, rendered here from the OpenAPI schema (Swagger UI would need a CDN)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from sotong.web.templating import render

router = APIRouter(include_in_schema=False)


def _schema_name(ref: dict[str, Any] | None) -> str:
    if not ref:
        return ""
    if "$ref" in ref:
        return str(ref["$ref"]).rsplit("/", 1)[-1]
    if ref.get("type") == "array":
        return f"list[{_schema_name(ref.get('items'))}]"
    if "anyOf" in ref:
        return " | ".join(_schema_name(r) for r in ref["anyOf"])
    return str(ref.get("type", ""))


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation of the schema flattened for the page: method, path, summary, parameters, body, responses."""
    result = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            content: dict[str, Any] = op.get("requestBody", {}).get("content", {})
            body_type: str | None = next(iter(content), None)
            body_schema: dict[str, Any] = content[body_type] if body_type else {}
            result.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": _schema_name(p.get("schema")),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": (body_type, _schema_name(body_schema.get("schema"))) if body_type else None,
                    "responses": {code: r.get("description", "") for code, r in op.get("responses", {}).items()},
                }
            )
    return result


def schemas(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The named schemas with their fields."""
    result = []
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        fields = [
            {"name": field, "type": _schema_name(info), "required": field in required}
            for field, info in schema.get("properties", {}).items()
        ]
        result.append({"name": name, "description": schema.get("description", ""), "fields": fields})
    return result


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Human-readable reference of the JSON API."""
    spec = request.app.openapi()
    return render(
        request,
        "api/docs.html",
        {"spec": spec, "operations": operations(spec), "schemas": schemas(spec)},
    )
