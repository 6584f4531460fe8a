"""Every message key exists in both catalogues (zh-CN and en), and every key the pages use exists."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parents[2] / "webapi" / "ui" / "src"
LANGUAGES = ("zh-CN", "en")


def keys(tree: dict[str, Any], prefix: str = "") -> set[str]:
    found: set[str] = set()
    for name, value in tree.items():
        path = f"{prefix}{name}"
        found |= keys(value, path + ".") if isinstance(value, dict) else {path}
    return found


def catalogue(language: str) -> set[str]:
    return keys(json.loads((SRC / "locales" / f"{language}.json").read_text(encoding="utf-8")))


def test_both_catalogues_have_the_same_keys() -> None:
    zh, en = (catalogue(language) for language in LANGUAGES)
    assert sorted(zh - en) == [] and sorted(en - zh) == []


def test_every_literal_key_the_pages_use_is_in_the_catalogues() -> None:
    used: set[str] = set()
    for source in SRC.rglob("*.js*"):
        used |= set(re.findall(r"""\bt\(\s*["']([A-Za-z0-9_.-]+)["']""", source.read_text(encoding="utf-8")))
    assert used, "no t('...') calls found: the pattern is out of date"
    assert sorted(used - catalogue("zh-CN")) == []
