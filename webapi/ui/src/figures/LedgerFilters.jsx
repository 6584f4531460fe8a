// The ledger's filter form: a field for every filter GET /ledger takes; applying it writes the URL query.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { LEDGER_CHOICES, LEDGER_DATES, LEDGER_FILTERS, LEDGER_TEXT } from "./query.js";
import { departmentName } from "./names.js";

const DEPARTMENT_FILTERS = new Set(["department", "owner_department", "step_department", "handled_by_department"]);

function pick(query) {
  return Object.fromEntries(LEDGER_FILTERS.filter((name) => query[name]).map((name) => [name, query[name]]));
}

export default function LedgerFilters({ query, departments, onApply }) {
  const { t, i18n } = useTranslation();
  const [draft, setDraft] = useState(() => pick(query));
  const queryKey = JSON.stringify(pick(query));
  useEffect(() => setDraft(JSON.parse(queryKey)), [queryKey]);

  const set = (name) => (event) => setDraft({ ...draft, [name]: event.target.value });
  const id = (name) => `ledger-filter-${name}`;
  const label = (name) => (
    <label htmlFor={id(name)} className="form-label small mb-0">
      {t(`figures.ledger.filter.${name}`)}
    </label>
  );
  const choice = (name, values, text) => (
    <select id={id(name)} className="form-select form-select-sm" value={draft[name] || ""} onChange={set(name)}>
      <option value="">{t("figures.ledger.any")}</option>
      {values.map((value) => (
        <option key={value} value={value}>
          {text(value)}
        </option>
      ))}
    </select>
  );
  const field = (name) => {
    if (DEPARTMENT_FILTERS.has(name)) {
      const codes = departments.map((d) => d.code);
      return choice(name, codes, (code) => departmentName(departments, code, i18n.language));
    }
    if (LEDGER_CHOICES[name]) return choice(name, LEDGER_CHOICES[name], (v) => t(`figures.ledger.value.${name}.${v}`));
    const type = LEDGER_DATES.includes(name) ? "date" : "text";
    return (
      <input id={id(name)} type={type} className="form-control form-control-sm" value={draft[name] || ""}
        onChange={set(name)} />
    );
  };
  const submit = (event) => {
    event.preventDefault();
    onApply(draft);
  };
  const reset = () => {
    setDraft({});
    onApply({});
  };
  const names = [...LEDGER_TEXT, ...Object.keys(LEDGER_CHOICES), ...LEDGER_DATES];
  const active = pick(query);
  const shown = (name, value) => {
    if (DEPARTMENT_FILTERS.has(name)) return departmentName(departments, value, i18n.language);
    return LEDGER_CHOICES[name] ? t(`figures.ledger.value.${name}.${value}`) : value;
  };
  const clearOne = (name) => {
    const { [name]: _dropped, ...rest } = active;
    onApply(rest);
  };
  return (
    <>
    {Object.keys(active).length > 0 && (
      <ul className="list-inline mb-2" aria-label={t("figures.ledger.active")} data-testid="ledger-active-filters">
        {Object.entries(active).map(([name, value]) => (
          <li className="list-inline-item badge text-bg-light border text-wrap mb-1" key={name} data-filter={name}>
            {t(`figures.ledger.filter.${name}`)}: {shown(name, value)}
            <button type="button" className="btn-close ms-1 align-middle" style={{ fontSize: "0.6rem" }}
              aria-label={t("figures.ledger.clearOne", { name: t(`figures.ledger.filter.${name}`) })}
              onClick={() => clearOne(name)} />
          </li>
        ))}
      </ul>
    )}
    <form className="border rounded p-2 mb-3 bg-light" onSubmit={submit} aria-label={t("figures.ledger.filters")}>
      <div className="row g-2">
        {names.map((name) => (
          <div className="col-6 col-md-3 col-xl-2" key={name}>
            {label(name)}
            {field(name)}
          </div>
        ))}
      </div>
      <div className="mt-2 d-flex gap-2">
        <button type="submit" className="btn btn-sm btn-success">
          {t("figures.ledger.apply")}
        </button>
        <button type="button" className="btn btn-sm btn-outline-secondary" onClick={reset}>
          {t("figures.ledger.reset")}
        </button>
      </div>
    </form>
    </>
  );
}
