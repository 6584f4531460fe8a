// How case data reads (GET /process-instances/{id}/data-labels): the titles the forms of the case's
// process version give its variables, their coded values' titles and formats. The case page loads
// them once and provides them; the facts card and the timeline's submitted values read them here.
import { createContext, useContext } from "react";
import { formatDateTime } from "../format.js";
import { formatValue } from "./values.js";

export const DataLabels = createContext(new Map());

export const useDataLabels = () => useContext(DataLabels);

// the labels as a Map name -> label, in the forms' order
export const labelMap = (list) => new Map((list || []).map((label) => [label.name, label]));

function choiceTitle(label, value) {
  const found = (label.choices || []).find((choice) => choice.value === value);
  return found ? found.title : undefined;
}

function formatDate(value, language) {
  // a form's "date" is a calendar day: shown as written, per locale, with no time zone shift
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : null;
  if (!day || Number.isNaN(day.getTime())) return value;
  return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeZone: "UTC" }).format(day);
}

function formatInstant(value, language) {
  return Number.isNaN(new Date(value).getTime()) ? value : formatDateTime(value, language);
}

// A value in words with its form's help: a coded value by its title, a date per locale; else formatValue.
export function formatLabelled(value, label, t, language) {
  if (!label) return formatValue(value, t, language);
  const titled = choiceTitle(label, value);
  if (titled !== undefined) return titled;
  if (Array.isArray(value) && (label.choices || []).length) {
    const items = value.map((item) => choiceTitle(label, item) ?? formatValue(item, t, language));
    return new Intl.ListFormat(language, { type: "unit" }).format(items);
  }
  if (typeof value === "string" && label.format === "date") return formatDate(value, language);
  if (typeof value === "string" && label.format === "date-time") return formatInstant(value, language);
  return formatValue(value, t, language);
}

// [labelled entries in the forms' order, entries no form names in their own order]
export function splitByLabel(values, labels) {
  const entries = Object.entries(values || {});
  const order = [...labels.keys()];
  const labelled = entries.filter(([name]) => labels.has(name))
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
  return [labelled, entries.filter(([name]) => !labels.has(name))];
}
