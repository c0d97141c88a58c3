"""The published X-ARF v4 JSON Schemas (xarf/xarf-spec, vendored in tests/data/xarf/) as a validator
with format checking, independent of the `xarf` library that Hotline builds its notices with."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "xarf" / "schemas" / "v4"
TYPES = {"csam": "types/content-csam.json", "csem": "types/content-csem.json"}


def _mailbox(instance: object) -> bool:
    """JSON Schema's `email` is an RFC 5321 Mailbox: ASCII, no display name. jsonschema itself only
    looks for an "@", which "Hotline <hotline@hotline.example>" has."""
    if not isinstance(instance, str):
        return True
    if not instance.isascii():
        return False
    try:
        validate_email(instance)
    except ValidationError:
        return False
    return True


@functools.cache
def format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    strict = jsonschema.FormatChecker(formats=checker.checkers)
    strict.checks("email")(_mailbox)
    missing = {"hostname", "date-time", "uri", "uuid", "email"} - set(strict.checkers)
    assert not missing, f"format checks not installed (fqdn, rfc3339-validator, rfc3986-validator): {missing}"
    return strict


@functools.cache
def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.rglob("*.json"):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


def errors(report: dict[str, Any]) -> list[str]:
    """Every way `report` breaks the official schema of its type (empty: valid), as 'path: message'."""
    name = TYPES.get(report.get("type", ""))
    if name is None or report.get("category") != "content":
        return [f"(root): no vendored schema for {report.get('category')}/{report.get('type')}"]
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, registry=_registry(), format_checker=format_checker())
    found = validator.iter_errors(report)
    return sorted(f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in found)
