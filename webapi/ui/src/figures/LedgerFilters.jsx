// The ledger's filter form: one labelled field per column that can be filtered.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { departmentName, processName } from "./names.js";

const STATES = ["running", "error", "completed", "cancelled"];
const DUE = ["overdue", "due_soon", "on_time"];

export default function LedgerFilters({ filters, names, onApply }) {
  const { t, i18n } = useTranslation();
  const [draft, setDraft] = useState(filters);
  const set = (name) => (event) => setDraft({ ...draft, [name]: event.target.value });
  const text = (name, type = "text") => (
    <div className="col-6 col-md-3 col-xl-2" key={name}>
      <label className="form-label small mb-1" htmlFor={`ledger-${name}`}>{t(`figures.ledger.filter.${name}`)}</label>
      <input id={`ledger-${name}`} type={type} className="form-control form-control-sm" value={draft[name] || ""} onChange={set(name)} />
    </div>
  );
  const choice = (name, options, label) => (
    <div className="col-6 col-md-3 col-xl-2" key={name}>
      <label className="form-label small mb-1" htmlFor={`ledger-${name}`}>{t(`figures.ledger.filter.${name}`)}</label>
      <select id={`ledger-${name}`} className="form-select form-select-sm" value={draft[name] || ""} onChange={set(name)}>
        <option value="">{t("figures.ledger.any")}</option>
        {options.map((value) => <option key={value} value={value}>{label(value)}</option>)}
      </select>
    </div>
  );
  return (
    <form className="row g-2 align-items-end mb-3" aria-label={t("figures.ledger.filters")}
          onSubmit={(event) => { event.preventDefault(); onApply(draft); }}>
      {text("number")}
      {text("company")}
      {choice("process", Object.keys(names.processes).sort(), (key) => processName(names, key))}
      {choice("department", Object.keys(names.departments).sort(), (code) => departmentName(names, code, i18n.language))}
      {text("category")}
      {choice("state", STATES, (state) => t(`figures.state.${state}`))}
      {choice("closed", ["true", "false"], (value) => t(value === "true" ? "figures.yes" : "figures.no"))}
      {choice("due_status", DUE, (status) => t(`due.${status}`))}
      {text("from", "date")}
      {text("to", "date")}
      <div className="col-12 col-md-auto d-flex gap-2">
        <button type="submit" className="btn btn-sm btn-success">{t("figures.ledger.apply")}</button>
        <button type="button" className="btn btn-sm btn-outline-secondary" onClick={() => { setDraft({}); onApply({}); }}>
          {t("figures.ledger.clear")}
        </button>
      </div>
    </form>
  );
}
