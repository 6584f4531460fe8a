// The figures' period (a month range) and department; applying writes them to the URL query.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { departmentName } from "./names.js";

export default function PeriodForm({ query, departments, onApply }) {
  const { t, i18n } = useTranslation();
  const initial = { from: query.from || "", to: query.to || "", department: query.department || "" };
  const key = JSON.stringify(initial);
  const [draft, setDraft] = useState(initial);
  useEffect(() => setDraft(JSON.parse(key)), [key]);
  const set = (name) => (event) => setDraft({ ...draft, [name]: event.target.value });
  const submit = (event) => {
    event.preventDefault();
    onApply(draft);
  };
  return (
    <form className="row g-2 align-items-end mb-3" onSubmit={submit} aria-label={t("figures.period.label")}>
      <div className="col-6 col-md-3">
        <label htmlFor="figures-from" className="form-label small mb-0">{t("figures.period.from")}</label>
        <input id="figures-from" type="month" className="form-control form-control-sm" value={draft.from}
          onChange={set("from")} />
      </div>
      <div className="col-6 col-md-3">
        <label htmlFor="figures-to" className="form-label small mb-0">{t("figures.period.to")}</label>
        <input id="figures-to" type="month" className="form-control form-control-sm" value={draft.to}
          onChange={set("to")} />
      </div>
      <div className="col-8 col-md-3">
        <label htmlFor="figures-department" className="form-label small mb-0">{t("figures.col.department")}</label>
        <select id="figures-department" className="form-select form-select-sm" value={draft.department}
          onChange={set("department")}>
          <option value="">{t("figures.period.allDepartments")}</option>
          {departments.map((d) => (
            <option key={d.code} value={d.code}>{departmentName(departments, d.code, i18n.language)}</option>
          ))}
        </select>
      </div>
      <div className="col-4 col-md-3">
        <button type="submit" className="btn btn-sm btn-success">{t("figures.period.apply")}</button>
      </div>
    </form>
  );
}
