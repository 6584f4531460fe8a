"""The form validator never resolves anything outside the schema, even for a schema that was never
checked at deploy (stored before the check existed)."""

from __future__ import annotations

import pytest
from referencing.exceptions import Unresolvable

from engine.form_schemas import form_validator
from tests.api.test_form_schema_safety import Listener


@pytest.mark.parametrize("scheme", ["http", "file"])
def test_the_form_validator_refuses_to_retrieve_remote_refs(scheme: str) -> None:
    listener = Listener()
    try:
        ref = listener.url if scheme == "http" else "file:///etc/passwd"
        validator = form_validator({"type": "object", "properties": {"name": {"$ref": ref}}})
        with pytest.raises(Unresolvable):
            list(validator.iter_errors({"name": "x"}))
        assert listener.requests == []
    finally:
        listener.close()
