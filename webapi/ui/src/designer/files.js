// A deployment's files as the designer pages hold them (name -> text), and sending them to the server:
// POST /deployments (or ?dry_run=true to check only) as multipart, one part named "files" per file.
import { call, get } from "../api.js";

export async function getText(path) {
  const response = await fetch(`/api/v1${path}`, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.text();
}

// Every file the definition's version was deployed with, and the definition itself.
export async function loadVersion(definitionId) {
  const definition = await get(`/process-definitions/${definitionId}`);
  const deployment = await get(`/deployments/${definition.deployment_id}`);
  const files = {};
  await Promise.all(
    deployment.files.map(async (name) => {
      files[name] = await getText(`/deployments/${definition.deployment_id}/files/${encodeURIComponent(name)}`);
    }),
  );
  return { definition, deployment, files };
}

function formData(files) {
  const body = new FormData();
  for (const [name, text] of Object.entries(files)) {
    const type = name.endsWith(".json") ? "application/json" : "application/xml";
    body.append("files", new Blob([text], { type }), name);
  }
  return body;
}

// The server's check of ``files``: {valid, problems, processes, decisions}; nothing is stored.
export const checkFiles = (files) => call("POST", "/deployments?dry_run=true", formData(files));

// Deploy ``files``: 201 with the new versions, 200 when nothing changed, ApiError 422 with problems.
export const deployFiles = (files) => call("POST", "/deployments", formData(files));

// What a deploy of the opened version sends: its BPMN file (edited), the files of the processes it calls,
// the forms, and the decision tables edited or created in the DMN editor (those differing from
// ``original``, the files as loaded). Not the deployment's other BPMN or DMN files: they may have newer
// versions since, and sending these old copies would deploy them again as newer versions. A business
// rule task binds the table sent with it, else the newest deployed version of its decision table.
export function filesToDeploy(files, sourceFile, xml, original = {}) {
  const chosen = { [sourceFile]: xml };
  const called = new Set([...xml.matchAll(/calledElement="([^"]+)"/g)].map((match) => match[1]));
  for (const [name, text] of Object.entries(files)) {
    if (name.endsWith(".json")) chosen[name] = text;
    else if (name.endsWith(".dmn") && text !== original[name]) chosen[name] = text;
    else if (name.endsWith(".bpmn") && name !== sourceFile
             && [...called].some((key) => text.includes(`id="${key}"`))) chosen[name] = text;
  }
  return chosen;
}
