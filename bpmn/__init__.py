"""The shipped process library (BPMN, DMN, JSON-Schema forms) as package data.

``processes/`` holds the BPMN processes and DMN tables, ``forms/`` the JSON-Schema forms of their
user tasks, ``demo.json`` the demo organisation. See ``README.md`` beside this file.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

__all__ = ["DEMO_FILE", "MODEL_FOLDERS", "demo_data", "process_files"]

MODEL_FOLDERS = ("processes", "forms")
DEMO_FILE = "demo.json"
_MODEL_SUFFIXES = (".bpmn", ".dmn", ".json")


def process_files() -> dict[str, bytes]:
    """Every shipped model file (.bpmn, .dmn and the .json forms) by file name, ready for one deployment.

    The demo organisation (``demo.json``) is data for the command line, not a model, and is not included.
    """
    files: dict[str, bytes] = {}
    root = resources.files(__name__)
    for folder in MODEL_FOLDERS:
        for entry in sorted(root.joinpath(folder).iterdir(), key=lambda e: e.name):
            if not entry.is_file() or not entry.name.endswith(_MODEL_SUFFIXES):
                continue
            if entry.name in files:
                raise RuntimeError(f"two shipped model files are named {entry.name}")
            files[entry.name] = entry.read_bytes()
    return files


def demo_data() -> dict[str, Any]:
    """The demo organisation: ``departments`` [{code, name, name_en}] and ``users`` [{username,
    display_name, roles, departments | company + credit_code}]."""
    loaded: dict[str, Any] = json.loads(resources.files(__name__).joinpath(DEMO_FILE).read_text(encoding="utf-8"))
    return loaded
