"""What names in the organisation may look like.

Usernames and department codes are identifiers people type and lanes name: after Unicode NFKC
normalisation (full-width ``Ｄ１`` becomes ``D1``) they may use only ASCII letters, digits and
``.``, ``_``, ``-`` (usernames also ``@``), starting with a letter or digit. That one rule keeps out
invisible characters (U+200B), control characters (``\\x01``) and look-alikes from other scripts
(a Cyrillic ``а`` in ``аdmin``). Two differing only in letter case are the same name.

Display names, department names and company names are free text (Chinese or any script), also
NFKC-normalised and trimmed, without control, format (invisible) or private-use characters.
Every text has the length limit of its column, the same through the API and the command line.
"""

from __future__ import annotations

import re
import unicodedata

from engine.errors import Problem

CODE_MAX = 64
USERNAME_MAX = 100
NAME_MAX = 200
CREDIT_CODE_MAX = 64
TOKEN_NAME_MAX = 100
PHONE_MAX = 32
EMAIL_MAX = 254

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
# letters that render as nothing although Unicode calls them letters (Hangul fillers, ...)
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def normalised(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def _describe(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed character')}"


def _hidden(value: str) -> str | None:
    for char in value:
        if unicodedata.category(char) in _REFUSED_CATEGORIES or char in _BLANK_LETTERS:
            return char
    return None


def identifier(value: str | None, field: str, *, kind: str) -> tuple[str, list[Problem]]:
    """A username (``kind="username"``) or department code, normalised, with what is wrong with it."""
    text = normalised(value or "")
    limit, pattern = (USERNAME_MAX, _USERNAME) if kind == "username" else (CODE_MAX, _CODE)
    allowed = "ASCII letters, digits and . _ -" + (" @" if kind == "username" else "")
    if not text:
        return text, [Problem("required", f"a {kind} is required", field=field)]
    if len(text) > limit:
        return text, [Problem("too_long", f"at most {limit} characters (this has {len(text)})", field=field)]
    if not pattern.fullmatch(text):
        bad = next((c for c in text if not (c.isascii() and (c.isalnum() or c in "._-@"))), text[0])
        return text, [
            Problem(
                "invalid_character",
                f"{_describe(bad)} is not allowed: use {allowed}, starting with a letter or digit",
                field=field,
            )
        ]
    return text, []


def free_text(value: str | None, field: str, *, limit: int = NAME_MAX, required: bool = False) -> tuple[
    str | None, list[Problem]
]:
    """A name or label: NFKC, trimmed, within ``limit``, without hidden characters (None stays None)."""
    if value is None:
        return None, [Problem("required", "required", field=field)] if required else []
    text = normalised(value)
    if not text:
        return None, [Problem("required", "must not be blank", field=field)] if required else []
    if len(text) > limit:
        return text, [Problem("too_long", f"at most {limit} characters (this has {len(text)})", field=field)]
    hidden = _hidden(text)
    if hidden is not None:
        return text, [Problem("invalid_character", f"{_describe(hidden)} is not allowed", field=field)]
    return text, []


def same_name(a: str | None, b: str | None) -> bool:
    """Department names compare without regard to letter case (after NFKC)."""
    return a is not None and b is not None and normalised(a).casefold() == normalised(b).casefold()
