// The ledger's and the figures' filters live in the URL query, so a link can point at a filtered page.
import { useEffect, useState } from "react";
import { navigate } from "../router.jsx";

// Every filter GET /ledger takes (docs/api.md), in the order the filter form shows them.
export const LEDGER_TEXT = [
  "number", "business_key", "company", "credit_code", "process", "category", "department",
  "owner_department", "step_department", "outcome", "handled_by", "handled_by_department",
];
export const LEDGER_CHOICES = {
  state: ["running", "completed", "cancelled", "error"],
  ended_how: ["completed", "terminated", "cancelled"],
  due_status: ["on_time", "due_soon", "overdue"],
  accepted: ["true", "false"],
  closed: ["true", "false"],
  satisfaction: ["1", "2", "3", "4", "5"],
};
export const LEDGER_DATES = ["from", "to", "ended_from", "ended_to", "due_from", "due_to", "handled_from", "handled_to"];
export const LEDGER_FILTERS = [...LEDGER_TEXT, ...Object.keys(LEDGER_CHOICES), ...LEDGER_DATES];
export const LEDGER_SORTS = new Set([
  "number", "business_key", "process_key", "department_code", "company", "category", "outcome", "state",
  "started_at", "ended_at", "due_at", "handling_days", "satisfaction",
]);
export const PAGE_SIZES = [20, 50, 100, 200];

// The current URL query as a plain object (empty values dropped).
export function readQuery(search = window.location.search) {
  const out = {};
  for (const [key, value] of new URLSearchParams(search)) if (value !== "") out[key] = value;
  return out;
}

// ``params`` as a query string (empty values dropped), "" when there are none.
export function toQuery(params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : "";
}

// The URL query, following history navigation (the router fires popstate on every navigate()).
export function useQuery() {
  const [search, setSearch] = useState(window.location.search);
  useEffect(() => {
    const onPop = () => setSearch(window.location.search);
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const query = readQuery(search);
  const setQuery = (params) => navigate(window.location.pathname + toQuery(params));
  return [query, setQuery];
}

// The ledger filtered to ``filters`` (e.g. a department and the figures' period).
export const ledgerLink = (filters) => `/ledger${toQuery(filters)}`;

// The ledger of the cases behind a row of /reports/people (``username``) or /reports/departments
// (``department``) for the figures' ``filter``: the same completed steps the row counts (within the
// period, in the chosen department), not the cases the department leads.
export function handledLink(filter, { username, department }) {
  return ledgerLink({
    handled_by: username,
    handled_by_department: department || filter.department,
    handled_from: filter.from,
    handled_to: filter.to,
  });
}

// A month range ("2019-01".."2019-03") as the API's local dates, both ends included.
export function monthsToDates(fromMonth, toMonth) {
  const dates = {};
  if (fromMonth) dates.from = `${fromMonth}-01`;
  if (toMonth) {
    const [year, month] = toMonth.split("-").map(Number);
    const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
    dates.to = `${toMonth}-${String(last).padStart(2, "0")}`;
  }
  return dates;
}
