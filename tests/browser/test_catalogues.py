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


def area_catalogues(language: str) -> dict[str, dict[str, Any]]:
    """Each area's catalogue (src/<area>/locales/<language>.json) by area folder name."""
    return {
        path.parent.parent.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(SRC.glob(f"*/locales/{language}.json"))
    }


def catalogue(language: str) -> set[str]:
    """The merged catalogue's keys: the shell's (src/locales) and every area's."""
    found = keys(json.loads((SRC / "locales" / f"{language}.json").read_text(encoding="utf-8")))
    for tree in area_catalogues(language).values():
        found |= keys(tree)
    return found


def test_each_area_catalogue_has_only_its_own_top_level_key() -> None:
    shell = set(json.loads((SRC / "locales" / "zh-CN.json").read_text(encoding="utf-8")))
    for language in LANGUAGES:
        for area, tree in area_catalogues(language).items():
            assert list(tree) == [area], (language, area, list(tree))
            assert area not in shell, f"{area} is both a shell key and an area"


def test_both_catalogues_have_the_same_keys() -> None:
    zh, en = (catalogue(language) for language in LANGUAGES)
    assert sorted(zh - en) == [] and sorted(en - zh) == []


def test_every_literal_key_the_pages_use_is_in_the_catalogues() -> None:
    used: set[str] = set()
    for source in SRC.rglob("*.js*"):
        used |= set(re.findall(r"""\bt\(\s*["']([A-Za-z0-9_.-]+)["']""", source.read_text(encoding="utf-8")))
    assert used, "no t('...') calls found: the pattern is out of date"
    assert sorted(used - catalogue("zh-CN")) == []
