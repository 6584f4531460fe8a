"""The shipped diagrams load in bpmn-moddle, the model layer of bpmn-js, without a warning.

Runs only where Node.js and the repository's ``node_modules/bpmn-moddle`` (installed with bpmn-js for
the UI) are present; skipped otherwise.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import bpmn

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import { BpmnModdle } from 'bpmn-moddle';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const files = JSON.parse(input);
const report = {};
for (const [name, xml] of Object.entries(files)) {
  const { rootElement, warnings } = await new BpmnModdle().fromXML(xml, 'bpmn:Definitions');
  const drawn = new Set();
  for (const diagram of rootElement.diagrams || []) {
    for (const element of diagram.plane.planeElement || []) drawn.add(element.bpmnElement && element.bpmnElement.id);
  }
  const undrawn = [];
  for (const root of rootElement.rootElements) {
    for (const element of root.flowElements || []) if (!drawn.has(element.id)) undrawn.push(element.id);
    for (const set of root.laneSets || []) {
      for (const lane of set.lanes || []) if (!drawn.has(lane.id)) undrawn.push(lane.id);
    }
    for (const participant of root.participants || []) if (!drawn.has(participant.id)) undrawn.push(participant.id);
  }
  report[name] = { warnings: warnings.map((w) => w.message), undrawn };
}
console.log(JSON.stringify(report));
"""


def test_diagrams_load_in_bpmn_moddle_without_warnings() -> None:
    node = shutil.which("node")
    if node is None or not (REPO_ROOT / "node_modules" / "bpmn-moddle").is_dir():
        pytest.skip("Node.js or node_modules/bpmn-moddle is not installed")
    files = {name: data.decode() for name, data in bpmn.process_files().items() if name.endswith(".bpmn")}
    done = subprocess.run(
        [node, "--input-type=module", "-e", SCRIPT],
        input=json.dumps(files),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(done.stdout)
    assert report == {name: {"warnings": [], "undrawn": []} for name in files}
