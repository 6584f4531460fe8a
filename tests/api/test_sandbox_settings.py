"""The sandbox's isolation settings are checked at start like every other setting."""

from __future__ import annotations

import pytest

from webapi.settings import SettingsError, check_environment


def test_an_unknown_isolation_mode_is_refused_at_start() -> None:
    with pytest.raises(SettingsError, match="WUTONG_SANDBOX_ISOLATION='thread': expected process or inline"):
        check_environment({"WUTONG_SANDBOX_ISOLATION": "thread"})


@pytest.mark.parametrize(
    "name", ["WUTONG_SANDBOX_WORKERS", "WUTONG_SANDBOX_MAX_MEMORY_MB", "WUTONG_SANDBOX_MAX_COMMAND_STORED_BYTES"]
)
def test_sandbox_sizes_must_be_positive_whole_numbers(name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        check_environment({name: "0"})
    with pytest.raises(SettingsError, match="is not a whole number"):
        check_environment({name: "many"})


def test_both_isolation_modes_are_accepted() -> None:
    check_environment({"WUTONG_SANDBOX_ISOLATION": "inline"})
    check_environment({"WUTONG_SANDBOX_ISOLATION": "process"})
