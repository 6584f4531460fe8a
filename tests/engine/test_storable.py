"""The rules of what case data may hold (engine/storable.py), as pure functions."""

from __future__ import annotations

import time
from datetime import date, datetime
from decimal import Decimal

from engine.storable import MAX_VALUES, check_data


def test_allowed_values_pass() -> None:
    data = {"a": {"b": [1, 2.5, None, True, "x", Decimal("1.5"), date(2026, 1, 1), datetime(2026, 1, 1)]}}
    assert check_data(data) == []


def test_each_problem_is_named_by_its_json_pointer() -> None:
    loop: list[object] = []
    loop.append(loop)
    found = check_data({"x": loop, "a/b": {"typename": 1}, "n": [float("inf")], "k": {1: "a"}})
    assert {(p.pointer, p.code) for p in found} == {
        ("/x/0", "not_storable"),
        ("/a~1b/typename", "reserved_key"),
        ("/n/0", "not_storable"),
        ("/k/1", "not_storable"),
    }
    assert {p.variable for p in found} == {"x", "a/b", "n", "k"}


def test_a_list_aliased_into_itself_many_levels_deep_is_refused_at_once() -> None:
    nested: list[object] = [0]
    for _ in range(22):  # 2^22 references to 23 lists: ~170 MB once serialized
        nested = [nested, nested]
    started = time.monotonic()
    [problem] = check_data({"d": nested})
    assert time.monotonic() - started < 0.5
    assert problem.variable == "d" and str(MAX_VALUES) in problem.message
