"""Process specs as stored once per version, restored into SpiffWorkflow objects on demand."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from engine.spiff import state
from engine.spiff.state_versions import SERIALIZER_VERSION, migrate_specs


@dataclass(frozen=True)
class SpecBundle:
    """A process spec with the specs of every process it calls. Read-only at run time: shareable."""

    spec: Any
    subprocess_specs: dict[str, Any]

    @classmethod
    def from_json(cls, document: str, version: str = SERIALIZER_VERSION) -> SpecBundle:
        """Restore stored specs; those written by an older serializer ``version`` are migrated first."""
        loaded = json.loads(document)
        if version != SERIALIZER_VERSION:
            loaded = migrate_specs(loaded, version)
        registry = state.SERIALIZER.registry
        return cls(
            spec=registry.restore(loaded["spec"]),
            subprocess_specs={name: registry.restore(s) for name, s in loaded["subprocess_specs"].items()},
        )

    def to_json(self) -> str:
        registry = state.SERIALIZER.registry
        return state.dumps(
            {
                "spec": registry.convert(self.spec),
                "subprocess_specs": {name: registry.convert(s) for name, s in self.subprocess_specs.items()},
            }
        )
