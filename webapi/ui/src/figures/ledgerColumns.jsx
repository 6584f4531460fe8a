// The ledger table's columns: the row field each shows, the sort key it offers and how it reads;
// ``caseData`` marks the cells that show what the case holds (data-case-data: not interface text).
import { Link } from "../router.jsx";
import { formatDateTime } from "../format.js";
import { departmentName, processName } from "./names.js";

const yesNo = (t, value) => (value === null || value === undefined ? "" : t(`figures.ledger.value.closed.${value}`));

export function ledgerColumns(t, language, departments, processes = {}) {
  const dept = (code) => departmentName(departments, code, language);
  return [
    { key: "number", sort: "number",
      cell: (r) => <Link to={`/cases/${r.instance_id}`}>{r.number}</Link> },
    { key: "business_key", caseData: true, sort: "business_key", cell: (r) => r.business_key },
    { key: "process", caseData: true, sort: "process_key", cell: (r) => processName(processes, r.process_key, language) },
    { key: "company", caseData: true, sort: "company", cell: (r) => r.company },
    { key: "credit_code", caseData: true, cell: (r) => r.credit_code },
    { key: "category", sort: "category", cell: (r) => (r.category ? t(`figures.category.${r.category}`, r.category) : "") },
    { key: "department", sort: "department_code", cell: (r) => dept(r.department_code) },
    { key: "current_steps", caseData: true, cell: (r) => (r.current_steps || []).join("、") },
    { key: "current_departments", cell: (r) => (r.current_departments || []).map(dept).join("、") },
    { key: "started_at", sort: "started_at", cell: (r) => formatDateTime(r.started_at, language) },
    { key: "age_working_days", cell: (r) => r.age_working_days },
    { key: "due_at", sort: "due_at", cell: (r) => formatDateTime(r.due_at, language) },
    { key: "due_status", cell: (r) => (r.due_status ? t(`figures.ledger.value.due_status.${r.due_status}`) : "") },
    { key: "state", sort: "state", cell: (r) => t(`figures.ledger.value.state.${r.state}`, r.state) },
    { key: "ended_how", cell: (r) => (r.ended_how ? t(`figures.ledger.value.ended_how.${r.ended_how}`) : "") },
    { key: "accepted", cell: (r) => yesNo(t, r.accepted) },
    { key: "closed", cell: (r) => yesNo(t, r.closed) },
    { key: "outcome", caseData: true, sort: "outcome", cell: (r) => r.outcome },
    { key: "ended_at", sort: "ended_at", cell: (r) => formatDateTime(r.ended_at, language) },
    { key: "handling_days", sort: "handling_days", cell: (r) => r.handling_days },
    { key: "on_time", cell: (r) => yesNo(t, r.on_time) },
    { key: "satisfaction", sort: "satisfaction", cell: (r) => r.satisfaction },
  ];
}
