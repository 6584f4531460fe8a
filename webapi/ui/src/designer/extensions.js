// Reading and writing what Wutong reads from a BPMN element's extensionElements, as the engine reads it
// (engine/runtime/parsing_extract.py): <spiffworkflow:properties><spiffworkflow:property name value/>
// and single text elements such as <spiffworkflow:instructionsForEndUser>. Every write is a modeling
// command, so it can be undone and marks the diagram changed.
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

// The process a diagram element stands for: a pool's process, or the process itself.
export function processOf(element) {
  const bo = getBusinessObject(element);
  if (is(bo, "bpmn:Participant")) return bo.processRef || null;
  if (is(bo, "bpmn:Process")) return bo;
  return null;
}

// The business object Wutong's properties of ``element`` live on (a pool's process for a pool).
export function ownerOf(element) {
  return processOf(element) || getBusinessObject(element);
}

function extensionValues(bo) {
  const ext = bo.get("extensionElements");
  return ext ? ext.get("values") : [];
}

function propertiesOf(bo) {
  return extensionValues(bo).find((v) => v.$instanceOf("spiffworkflow:properties")) || null;
}

export function getProperty(bo, name) {
  const list = propertiesOf(bo);
  const found = list && list.get("properties").find((p) => p.name === name);
  return found ? found.value || "" : "";
}

// name -> value of every property whose name starts with ``prefix`` (ledger.company -> company_name)
export function getPropertiesWithPrefix(bo, prefix) {
  const list = propertiesOf(bo);
  if (!list) return [];
  return list.get("properties").filter((p) => (p.name || "").startsWith(prefix));
}

function ensureExtensions(element, bo, moddle, modeling) {
  let ext = bo.get("extensionElements");
  if (!ext) {
    ext = moddle.create("bpmn:ExtensionElements", { values: [] });
    ext.$parent = bo;
    modeling.updateModdleProperties(element, bo, { extensionElements: ext });
  }
  return ext;
}

function ensureProperties(element, bo, moddle, modeling) {
  const ext = ensureExtensions(element, bo, moddle, modeling);
  let list = propertiesOf(bo);
  if (!list) {
    list = moddle.create("spiffworkflow:properties", { properties: [] });
    list.$parent = ext;
    modeling.updateModdleProperties(element, ext, { values: [...ext.get("values"), list] });
  }
  return list;
}

// Set (or, with an empty value, remove) the property ``name`` of ``bo`` (shown as ``element``).
export function setProperty(element, bo, name, value, { moddle, modeling }) {
  const text = (value || "").trim();
  const existing = propertiesOf(bo);
  const found = existing && existing.get("properties").find((p) => p.name === name);
  if (!text) {
    if (found) {
      modeling.updateModdleProperties(element, existing, {
        properties: existing.get("properties").filter((p) => p !== found),
      });
    }
    return;
  }
  if (found) {
    modeling.updateModdleProperties(element, found, { value: text });
    return;
  }
  const list = ensureProperties(element, bo, moddle, modeling);
  const property = moddle.create("spiffworkflow:property", { name, value: text });
  property.$parent = list;
  modeling.updateModdleProperties(element, list, { properties: [...list.get("properties"), property] });
}

// The text of a single extension element such as spiffworkflow:instructionsForEndUser.
export function getText(bo, type) {
  const found = extensionValues(bo).find((v) => v.$instanceOf(type));
  return found ? found.text || "" : "";
}

export function setText(element, bo, type, value, { moddle, modeling }) {
  const text = value || "";
  const found = extensionValues(bo).find((v) => v.$instanceOf(type));
  if (!text.trim()) {
    if (found) {
      const ext = bo.get("extensionElements");
      modeling.updateModdleProperties(element, ext, { values: ext.get("values").filter((v) => v !== found) });
    }
    return;
  }
  if (found) {
    modeling.updateModdleProperties(element, found, { text });
    return;
  }
  const ext = ensureExtensions(element, bo, moddle, modeling);
  const created = moddle.create(type, { text });
  created.$parent = ext;
  modeling.updateModdleProperties(element, ext, { values: [...ext.get("values"), created] });
}
