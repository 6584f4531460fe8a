"""The audit chain's canonical form: the fast path writes exactly the bytes ``rfc8785.dumps`` writes.

Existing databases' chains were MACed over ``rfc8785.dumps``; any byte of difference would break
their verification, so ``rfc8785`` stays the reference here, over generated values (unicode up to
astral characters and lone surrogates, floats, large integers, nested objects, awkward keys).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.audit_chain import CANONICAL_FIELDS, _plain, canonical, content_of, format_at

_TEXT = st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=12)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.integers(min_value=-(2**53) - 2, max_value=-(2**53) + 2)
    | st.integers(min_value=2**53 - 2, max_value=2**53 + 2)
    | st.floats(allow_nan=True, allow_infinity=True)
    | _TEXT
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20,
)


def _content(details: Any, name: str = "梧桐 staff") -> dict[str, Any]:
    event = {
        "chain": "3f1c0e2a-1111-4222-8333-944455556666",
        "seq": 7,
        "at": datetime(2026, 11, 28, 22, 15, 3, 4, tzinfo=UTC),
        "actor_user_id": 12,
        "actor_name": name,
        "actor_roles": "staff",
        "actor_departments": "D1",
        "acting_for": None,
        "action": "task.completed",
        "instance_id": "3f1c0e2a-1111-4222-8333-944455556666",
        "task_id": "Activity_1",
        "request_id": "req-1",
        "details": details,
        "prev_mac": "ab" * 32,
        "key_id": "k0123456789abcdef",
    }
    return content_of(event)


def _reference(content: dict[str, Any]) -> bytes | type[BaseException]:
    try:
        return rfc8785.dumps({name: content[name] for name in CANONICAL_FIELDS})
    except Exception as exc:  # the reference's failure is part of its behaviour
        return type(exc)


def _ours(content: dict[str, Any]) -> bytes | type[BaseException]:
    try:
        return canonical(content)
    except Exception as exc:
        return type(exc)


@settings(max_examples=3000, deadline=None)
@given(details=_VALUES, name=_TEXT)
def test_canonical_bytes_and_errors_equal_rfc8785_for_generated_values(details: Any, name: str) -> None:
    content = _content(details, name)
    assert _ours(content) == _reference(content)


def test_canonical_equals_rfc8785_at_the_known_differences_of_json_and_jcs() -> None:
    awkward = {
        "floats": [1.0, -0.0, 0.1, 1e21, 1e-7, 123456789012345680000.0, 5e-324],
        "big": [2**53 - 1, -(2**53 - 1), 2**53],
        "keys": {"\ue000": 1, "\U0001f600": 2, "a": 3, "é": 4, "": 5},
        "escapes": "\x00\x01\x1f\"\\\b\f\n\r\t\x7f\u2028\u2029</script>",
        "surrogate": "\ud800",
    }
    for name, value in awkward.items():
        content = _content({name: value})
        assert _ours(content) == _reference(content), name


def test_an_ordinary_event_takes_the_fast_path() -> None:
    variables = {"amount": {"old": None, "new": 120}, "名称": {"old": "a", "new": "梧桐\n"}}
    details = {"variables": variables, "n": [1, True]}
    content = _content(details)
    assert _plain({name: content[name] for name in CANONICAL_FIELDS})
    assert content["at"] == format_at(datetime(2026, 11, 28, 22, 15, 3, 4, tzinfo=UTC))
    assert canonical(content) == rfc8785.dumps({name: content[name] for name in CANONICAL_FIELDS})
