// Properties-panel entries for everything Wutong reads from a model, so nobody types XML: lanes name
// departments, user tasks their form, department, role, deadline, escalation, send-back target and
// instructions, processes who may start them and their ledger columns; scripts, conditions, message
// payloads and DMN references. Property names are exactly the engine's (engine/services/repository.py,
// engine/deadlines.py). The page passes departments and forms in the modeler's ``wutong`` option.
import { createElement as h } from "@bpmn-io/properties-panel/preact";
import {
  CheckboxEntry,
  SelectEntry,
  TextAreaEntry,
  TextFieldEntry,
  isCheckboxEntryEdited,
  isSelectEntryEdited,
  isTextAreaEntryEdited,
  isTextFieldEntryEdited,
} from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";
import i18next from "../i18n.js";
import { correlationGroups } from "./correlationEntries.js";
import { getPropertiesWithPrefix, getProperty, getText, ownerOf, processOf, setProperty, setText } from "./extensions.js";

const ROLES = ["staff", "supervisor", "designer", "auditor", "admin"];
const label = (key) => i18next.t(`designer.panel.${key}`);

function services() {
  return {
    moddle: useService("moddle"),
    modeling: useService("modeling"),
    debounce: useService("debounceInput"),
    wutong: useService("config.wutong"),
  };
}

// --- entries over spiffworkflow:property -----------------------------------------------------------

function PropertyText({ element, id, name, multiline }) {
  const s = services();
  const bo = ownerOf(element);
  const props = {
    element,
    id,
    label: label(name),
    debounce: s.debounce,
    getValue: () => getProperty(bo, name),
    setValue: (value) => setProperty(element, bo, name, value, s),
  };
  return multiline ? h(TextAreaEntry, { ...props, rows: 2, monospace: true }) : h(TextFieldEntry, props);
}

function PropertySelect({ element, id, name, options }) {
  const s = services();
  const bo = ownerOf(element);
  return h(SelectEntry, {
    element,
    id,
    label: label(name),
    getValue: () => getProperty(bo, name),
    setValue: (value) => setProperty(element, bo, name, value, s),
    getOptions: () => [{ value: "", label: label("none") }, ...options(s.wutong, element)],
  });
}

function PropertyCheckbox({ element, id, name }) {
  const s = services();
  const bo = ownerOf(element);
  return h(CheckboxEntry, {
    element,
    id,
    label: label(name),
    getValue: () => getProperty(bo, name) === "true",
    setValue: (value) => setProperty(element, bo, name, value ? "true" : "", s),
  });
}

const departmentOptions = (wutong) =>
  wutong.departments().map((d) => ({ value: d.code, label: `${d.name} (${d.code})` }));
const formOptions = (wutong) => wutong.forms().map((name) => ({ value: name, label: name }));
const roleOptions = () => ROLES.map((role) => ({ value: role, label: role }));
const calendarOptions = () => [
  { value: "working", label: label("calendarWorking") },
  { value: "calendar", label: label("calendarElapsed") },
];
function userTaskOptions(_wutong, element) {
  const process = getBusinessObject(element).$parent;
  const tasks = [];
  const walk = (container) => {
    for (const node of container.get("flowElements") || []) {
      if (is(node, "bpmn:UserTask") && node !== getBusinessObject(element)) tasks.push(node);
      if (is(node, "bpmn:SubProcess")) walk(node);
    }
  };
  if (process) walk(process);
  return tasks.map((task) => ({ value: task.id, label: task.name ? `${task.name} (${task.id})` : task.id }));
}

// --- entries over other elements -------------------------------------------------------------------

function LaneDepartment({ element, id }) {
  const s = services();
  const bo = getBusinessObject(element);
  return h(SelectEntry, {
    element,
    id,
    label: label("laneDepartment"),
    getValue: () => bo.name || "",
    setValue: (value) => s.modeling.updateProperties(element, { name: value }),
    getOptions: () => [
      { value: "", label: label("none") },
      { value: "applicant", label: label("applicantLane") },
      ...departmentOptions(s.wutong),
    ],
  });
}

function TextElement({ element, id, type, labelKey, rows }) {
  const s = services();
  const bo = getBusinessObject(element);
  return h(TextAreaEntry, {
    element,
    id,
    label: label(labelKey),
    rows: rows || 3,
    monospace: true,
    debounce: s.debounce,
    getValue: () => getText(bo, type),
    setValue: (value) => setText(element, bo, type, value, s),
  });
}

function ScriptBody({ element, id }) {
  const s = services();
  const bo = getBusinessObject(element);
  return h(TextAreaEntry, {
    element,
    id,
    label: label("script"),
    rows: 5,
    monospace: true,
    debounce: s.debounce,
    getValue: () => bo.get("script") || "",
    setValue: (value) => s.modeling.updateProperties(element, { scriptFormat: "python", script: value || undefined }),
  });
}

function Condition({ element, id }) {
  const s = services();
  const bo = getBusinessObject(element);
  return h(TextAreaEntry, {
    element,
    id,
    label: label("condition"),
    rows: 2,
    monospace: true,
    debounce: s.debounce,
    getValue: () => (bo.conditionExpression ? bo.conditionExpression.body || "" : ""),
    setValue: (value) => {
      const expression = value && value.trim()
        ? s.moddle.create("bpmn:FormalExpression", { body: value })
        : undefined;
      s.modeling.updateProperties(element, { conditionExpression: expression });
    },
  });
}

// ledger columns: one "column = variable" a line, stored as ledger.<column> properties of the process
function LedgerColumns({ element, id }) {
  const s = services();
  const bo = ownerOf(element);
  return h(TextAreaEntry, {
    element,
    id,
    label: label("ledger"),
    description: label("ledgerHelp"),
    rows: 4,
    monospace: true,
    debounce: s.debounce,
    getValue: () =>
      getPropertiesWithPrefix(bo, "ledger.")
        .map((p) => `${p.name.slice("ledger.".length)} = ${p.value}`)
        .join("\n"),
    setValue: (value) => {
      const wanted = new Map();
      for (const line of (value || "").split("\n")) {
        const [column, variable] = line.split("=").map((part) => (part || "").trim());
        if (column && variable) wanted.set(`ledger.${column}`, variable);
      }
      for (const old of getPropertiesWithPrefix(bo, "ledger.")) {
        if (!wanted.has(old.name)) setProperty(element, bo, old.name, "", s);
      }
      for (const [name, variable] of wanted) setProperty(element, bo, name, variable, s);
    },
  });
}

// --- groups ------------------------------------------------------------------------------------------

// One component per entry, made once: a new function on every render would remount the field and
// lose the cursor while typing.
const components = new Map();
function entry(id, component, isEdited, extra = {}) {
  const key = `${id}|${extra.type || ""}`;
  if (!components.has(key)) components.set(key, (props) => h(component, { ...props, ...extra }));
  return { id, isEdited, component: components.get(key) };
}
const text = (name, multiline) =>
  entry(`wutong-${name}`, PropertyText, multiline ? isTextAreaEntryEdited : isTextFieldEntryEdited, { name, multiline });
const select = (name, options) => entry(`wutong-${name}`, PropertySelect, isSelectEntryEdited, { name, options });
const checkbox = (name) => entry(`wutong-${name}`, PropertyCheckbox, isCheckboxEntryEdited, { name });

function wutongEntries(element) {
  const bo = getBusinessObject(element);
  if (processOf(element)) {
    return [
      text("nameEn"),
      select("ownerDepartment", departmentOptions),
      text("startableBy"),
      checkbox("startableByApplicant"),
      text("deadline"),
      text("deadlineExpression", true),
      select("deadlineCalendar", calendarOptions),
      select("escalateTo", departmentOptions),
      entry("wutong-ledger", LedgerColumns, isTextAreaEntryEdited),
    ];
  }
  if (is(bo, "bpmn:Lane")) return [entry("wutong-lane-department", LaneDepartment, isSelectEntryEdited)];
  const entries = [];
  if (is(bo, "bpmn:UserTask")) {
    entries.push(
      text("nameEn"),
      select("formJsonSchemaFilename", formOptions),
      text("assignDepartment", true),
      select("requiredRole", roleOptions),
      text("deadline"),
      text("deadlineExpression", true),
      select("deadlineCalendar", calendarOptions),
      select("escalateTo", departmentOptions),
      select("sendBackTo", userTaskOptions),
      checkbox("applicantOnly"),
      entry("wutong-instructions", TextElement, isTextAreaEntryEdited, {
        type: "spiffworkflow:instructionsForEndUser",
        labelKey: "instructions",
        rows: 4,
      }),
    );
  }
  if (is(bo, "bpmn:ScriptTask")) entries.push(entry("wutong-script", ScriptBody, isTextAreaEntryEdited));
  if (is(bo, "bpmn:BusinessRuleTask")) {
    entries.push(entry("wutong-decision", TextElement, isTextAreaEntryEdited, {
      type: "spiffworkflow:calledDecisionId", labelKey: "calledDecisionId", rows: 1,
    }));
  }
  if (is(bo, "bpmn:SequenceFlow")) entries.push(entry("wutong-condition", Condition, isTextAreaEntryEdited));
  if (is(bo, "bpmn:Event") && (bo.eventDefinitions || []).some((d) => is(d, "bpmn:MessageEventDefinition"))) {
    const throwing = is(bo, "bpmn:ThrowEvent");
    entries.push(entry("wutong-message", TextElement, isTextAreaEntryEdited, throwing
      ? { type: "spiffworkflow:messagePayload", labelKey: "messagePayload", rows: 2 }
      : { type: "spiffworkflow:messageVariable", labelKey: "messageVariable", rows: 1 }));
  }
  if (is(bo, "bpmn:Activity") && !is(bo, "bpmn:SubProcess")) {
    entries.push(
      entry("wutong-pre-script", TextElement, isTextAreaEntryEdited, { type: "spiffworkflow:preScript", labelKey: "preScript" }),
      entry("wutong-post-script", TextElement, isTextAreaEntryEdited, { type: "spiffworkflow:postScript", labelKey: "postScript" }),
    );
  }
  return entries;
}

export class WutongPropertiesProvider {
  constructor(propertiesPanel, injector) {
    propertiesPanel.registerProvider(500, this);
    this.injector = injector;
  }

  getGroups(element) {
    return (groups) => {
      const entries = wutongEntries(element);
      const ours = correlationGroups(element, this.injector);
      if (entries.length) ours.unshift({ id: "wutong", label: label("group"), entries });
      groups.splice(1, 0, ...ours);
      return groups;
    };
  }
}
WutongPropertiesProvider.$inject = ["propertiesPanel", "injector"];

export default {
  __init__: ["wutongPropertiesProvider"],
  wutongPropertiesProvider: ["type", WutongPropertiesProvider],
};
