"""Open311 fixtures: the standard's JSON Schemas, an API key, a client."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT4
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.channels.open311.actions import create_api_key
from tests.factories import World

REPO = Path(__file__).resolve().parents[3]


def schema_dir() -> Path:
    """The georeport-v2 JSON Schemas (open311/schema-validation), kept beside the project, not in it.

    They are looked for in $SOTONG_OPEN311_SCHEMAS, then ../shared/reference/ next to the checkout, then
    /work/shared/reference/. Missing schemas fail the tests: conformance is never silently unchecked.
    """
    candidates = [
        os.environ.get("SOTONG_OPEN311_SCHEMAS", ""),
        str(REPO.parent / "shared" / "reference" / "open311-georeport-v2"),
        "/work/shared/reference/open311-georeport-v2",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "request.json").exists():
            return Path(candidate)
    pytest.fail(f"the Open311 georeport-v2 JSON Schemas were not found in any of {candidates}")


@pytest.fixture(scope="session")
def validate() -> Callable[[str, Any], None]:
    """validate("requests.json", document): raises on any violation of the standard's schema."""
    directory = schema_dir()
    resources = {
        path.name: DRAFT4.create_resource(json.loads(path.read_text(encoding="utf-8")))
        for path in directory.glob("*.json")
        if path.name != "swagger.json"
    }
    registry: Registry = Registry().with_resources(resources.items())  # type: ignore[arg-type]

    def check(name: str, document: Any) -> None:
        schema = resources[name].contents
        Draft4Validator(schema, registry=registry, format_checker=FormatChecker()).validate(document)

    return check


@pytest.fixture
def api_key(session: Session, world: World) -> str:
    _, plain = create_api_key(session, actor=CLI, org_id=world.songpa.id, name="시민 제보 앱")
    return plain
