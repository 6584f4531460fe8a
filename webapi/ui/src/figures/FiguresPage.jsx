// The figures at /figures: GET /reports/summary, /reports/departments and /reports/people for the
// period (months) and department the URL query names, as totals, charts and tables.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, get } from "../api.js";
import { handledLink, monthsToDates, toQuery, useQuery } from "./query.js";
import { departmentName, useDepartments } from "./names.js";
import Totals from "./Totals.jsx";
import SummaryCharts from "./SummaryCharts.jsx";
import { DepartmentFigures, HandlersTable } from "./FigureTables.jsx";
import PeriodForm from "./PeriodForm.jsx";

export default function FiguresPage() {
  const { t, i18n } = useTranslation();
  const [query, setQuery] = useQuery();
  const departments = useDepartments();
  const [figures, setFigures] = useState(null);
  const [error, setError] = useState(null);
  const period = monthsToDates(query.from, query.to);
  const filter = { ...period, department: query.department };
  const apiQuery = toQuery(filter);

  useEffect(() => {
    let live = true;
    setError(null);
    Promise.all(["summary", "departments", "people"].map((name) => get(`/reports/${name}${apiQuery}`)))
      .then(([summary, byDepartment, people]) => live && setFigures({ summary, byDepartment, people }))
      .catch((e) => {
        if (!live) return;
        setFigures(null);
        setError(e instanceof ApiError && e.status < 500 ? e.message : t("app.unexpected"));
      });
    return () => {
      live = false;
    };
  }, [apiQuery, t]);

  const deptName = (code) => (code ? departmentName(departments, code, i18n.language) : t("figures.none"));
  return (
    <section>
      <h1 className="h4">{t("figures.title")}</h1>
      <PeriodForm query={query} departments={departments} onApply={setQuery} />
      {error && <div className="alert alert-danger" role="alert">{error}</div>}
      {!figures && !error && <p className="text-muted">{t("app.loading")}</p>}
      {figures && (
        <div data-testid="figures" data-period={apiQuery}>
          <Totals summary={figures.summary} />
          <SummaryCharts summary={figures.summary} deptName={deptName} />
          <DepartmentFigures rows={figures.summary.by_department} deptName={deptName} period={filter} />
          <HandlersTable id="departments" report={figures.byDepartment} nameOf={(row) => deptName(row.key)}
            linkOf={(row) => handledLink(filter, { department: row.key })} />
          <HandlersTable id="people" report={figures.people} nameOf={(row) => row.name || row.key}
            linkOf={(row) => row.name && handledLink(filter, { username: row.name })} />
        </div>
      )}
    </section>
  );
}
