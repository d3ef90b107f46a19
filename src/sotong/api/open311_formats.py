"""Open311 documents as HTTP responses, JSON or XML (the standard makes XML mandatory and JSON optional)."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from fastapi.responses import Response

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _append(parent: ET.Element, tag: str, value: Any) -> None:
    """`value` under `parent` as <tag>: dicts become children, lists repeat their item tag (see ITEM_TAGS)."""
    node = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, child in value.items():
            _append(node, key, child)
    elif isinstance(value, list):
        item_tag = ITEM_TAGS.get(tag, "item")
        for child in value:
            _append(node, item_tag, child)
    else:
        node.text = _text(value)


# How the standard names the elements of a list in XML.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}


def to_xml(root_tag: str, value: list[Any] | dict[str, Any]) -> bytes:
    """An XML document: a list under `root_tag` (services, service_requests, errors) or a single object."""
    root = ET.Element(root_tag)
    if isinstance(value, list):
        item_tag = ITEM_TAGS[root_tag]
        for item in value:
            _append(root, item_tag, item)
    else:
        for key, child in value.items():
            _append(root, key, child)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def render(fmt: str, root_tag: str, value: list[Any] | dict[str, Any], status: int = 200) -> Response:
    """The document in the requested format."""
    if fmt == "xml":
        return Response(to_xml(root_tag, value), status_code=status, media_type=FORMATS["xml"])
    body = json.dumps(value, ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=status, media_type=FORMATS["json"])


def error(fmt: str, code: int, description: str) -> Response:
    """The standard's error body: `[{"code": 400, "description": ".."}]` or `<errors><error>..`."""
    return render(fmt if fmt in FORMATS else "json", "errors", [{"code": code, "description": description}], code)
