// The published figures: cases received, accepted, closed; acceptance, closure and on-time rates (as
// numerator/denominator and a percentage, exactly the API's numbers); charts of cases per month,
// handling time per department and category and satisfaction; the department and people tables with
// points. Reads GET /reports/summary, /reports/departments and /reports/people with one filter.
import { useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, get } from "../api.js";
import BarChart from "./BarChart.jsx";
import { GroupTable, HandlersTable } from "./FigureTables.jsx";
import { departmentName, formatRate, processName, useNames } from "./names.js";

const FILTERS = ["from", "to", "process", "department"];

function Card({ label, value, testId }) {
  return (
    <div className="col-6 col-md-4 col-xl-2">
      <div className="card card-body h-100 py-2">
        <div className="small text-muted">{label}</div>
        <div className="fs-5 fw-semibold" data-testid={testId}>{value}</div>
      </div>
    </div>
  );
}

function Filters({ filters, names, onApply }) {
  const { t, i18n } = useTranslation();
  const [draft, setDraft] = useState(filters);
  const set = (name) => (event) => setDraft({ ...draft, [name]: event.target.value });
  return (
    <form className="row g-2 align-items-end mb-3" aria-label={t("figures.filters")}
          onSubmit={(event) => { event.preventDefault(); onApply(draft); }}>
      {["from", "to"].map((name) => (
        <div className="col-6 col-md-2" key={name}>
          <label className="form-label small mb-1" htmlFor={`figures-${name}`}>{t(`figures.ledger.filter.${name}`)}</label>
          <input id={`figures-${name}`} type="date" className="form-control form-control-sm" value={draft[name] || ""} onChange={set(name)} />
        </div>
      ))}
      <div className="col-6 col-md-3">
        <label className="form-label small mb-1" htmlFor="figures-process">{t("figures.ledger.filter.process")}</label>
        <select id="figures-process" className="form-select form-select-sm" value={draft.process || ""} onChange={set("process")}>
          <option value="">{t("figures.ledger.any")}</option>
          {Object.keys(names.processes).sort().map((key) => <option key={key} value={key}>{processName(names, key)}</option>)}
        </select>
      </div>
      <div className="col-6 col-md-3">
        <label className="form-label small mb-1" htmlFor="figures-department">{t("figures.ledger.filter.department")}</label>
        <select id="figures-department" className="form-select form-select-sm" value={draft.department || ""} onChange={set("department")}>
          <option value="">{t("figures.ledger.any")}</option>
          {Object.keys(names.departments).sort().map((code) => (
            <option key={code} value={code}>{departmentName(names, code, i18n.language)}</option>
          ))}
        </select>
      </div>
      <div className="col-12 col-md-auto">
        <button type="submit" className="btn btn-sm btn-success">{t("figures.ledger.apply")}</button>
      </div>
    </form>
  );
}

function queryOf(filters) {
  const params = new URLSearchParams();
  for (const name of FILTERS) if (filters[name]) params.set(name, filters[name]);
  return params.toString();
}

export default function FiguresPage() {
  const { t, i18n } = useTranslation();
  const language = i18n.language;
  const names = useNames();
  const [filters, setFilters] = useState({});
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);

  useEffect(() => {
    let alive = true;
    const q = queryOf(filters);
    Promise.all([get(`/reports/summary?${q}`), get(`/reports/departments?${q}`), get(`/reports/people?${q}`)])
      .then(([summary, departments, people]) => alive && (setData({ summary, departments, people }), setError(null)))
      .catch((e) => alive && setError(e instanceof ApiError && e.status === 403 ? t("figures.forbidden") : t("app.unexpected")));
    return () => {
      alive = false;
    };
  }, [filters, t]);

  const charts = useMemo(() => {
    if (!data) return null;
    const s = data.summary;
    const dept = (code) => departmentName(names, code, language);
    return {
      months: { labels: s.by_month.map((m) => m.month),
                series: [{ label: t("figures.received"), values: s.by_month.map((m) => m.received) },
                         { label: t("figures.closed"), values: s.by_month.map((m) => m.closed) }] },
      handlingByDepartment: { labels: s.by_department.map((d) => dept(d.key)),
                              series: [{ label: t("figures.handlingMedian"), values: s.by_department.map((d) => d.handling_days_median) }] },
      handlingByCategory: { labels: s.by_category.map((c) => c.key || "—"),
                            series: [{ label: t("figures.handlingMedian"), values: s.by_category.map((c) => c.handling_days_median) }] },
      satisfaction: { labels: s.by_department.map((d) => dept(d.key)),
                      series: [{ label: t("figures.satisfaction"), values: s.by_department.map((d) => d.satisfaction_average) }] },
    };
  }, [data, names, language, t]);

  const ledgerLink = (department) => `/ledger?${new URLSearchParams({ ...Object.fromEntries(
    Object.entries(filters).filter(([k, v]) => v && k !== "department")), department })}`;
  const s = data && data.summary;
  return (
    <section aria-labelledby="figures-title">
      <h1 id="figures-title" className="h4 mb-3">{t("figures.title")}</h1>
      <Filters filters={filters} names={names} onApply={setFilters} />
      {error && <div className="alert alert-warning" role="alert">{error}</div>}
      {s && (
        <>
          <div className="row g-2 mb-3">
            <Card label={t("figures.received")} value={s.received} testId="figure-received" />
            <Card label={t("figures.accepted")} value={s.accepted} testId="figure-accepted" />
            <Card label={t("figures.closed")} value={s.closed} testId="figure-closed" />
            <Card label={t("figures.open")} value={s.open} testId="figure-open" />
            <Card label={t("figures.cancelled")} value={s.cancelled} testId="figure-cancelled" />
            <Card label={t("figures.terminated")} value={s.terminated} testId="figure-terminated" />
          </div>
          <div className="row g-2 mb-3">
            <Card label={t("figures.acceptanceRate")} value={formatRate(s.acceptance_rate, language)} testId="rate-acceptance" />
            <Card label={t("figures.closureRate")} value={formatRate(s.closure_rate, language)} testId="rate-closure" />
            <Card label={t("figures.onTimeRate")} value={formatRate(s.on_time_closure_rate, language)} testId="rate-on-time" />
            <Card label={t("figures.onTimeOriginalRate")} value={formatRate(s.on_time_closure_rate_original, language)} testId="rate-on-time-original" />
            <Card label={t("figures.handlingMedianP90")}
                  value={s.handling_days_median == null ? "—" : `${s.handling_days_median} / ${s.handling_days_p90}`} testId="figure-handling" />
            <Card label={t("figures.satisfactionAverage", { count: s.rated })}
                  value={s.satisfaction_average ?? "—"} testId="figure-satisfaction" />
          </div>
          <div className="row">
            <div className="col-12 col-xl-6"><BarChart title={t("figures.chart.months")} {...charts.months} testId="chart-months" /></div>
            <div className="col-12 col-xl-6"><BarChart title={t("figures.chart.satisfaction")} {...charts.satisfaction} testId="chart-satisfaction" /></div>
            <div className="col-12 col-xl-6"><BarChart title={t("figures.chart.handlingDepartment")} {...charts.handlingByDepartment} testId="chart-handling-department" /></div>
            <div className="col-12 col-xl-6"><BarChart title={t("figures.chart.handlingCategory")} {...charts.handlingByCategory} testId="chart-handling-category" /></div>
          </div>
          <GroupTable rows={s.by_department} names={names} kind="department" title={t("figures.byDepartment")}
                      testId="by-department" linkFor={ledgerLink} />
          <GroupTable rows={s.by_category} names={names} kind="category" title={t("figures.byCategory")} testId="by-category" />
          <HandlersTable report={data.departments} names={names} kind="department" title={t("figures.departmentPoints")}
                         testId="department-points" linkFor={ledgerLink} />
          <HandlersTable report={data.people} names={names} kind="person" title={t("figures.peoplePoints")} testId="people-points" />
        </>
      )}
    </section>
  );
}
