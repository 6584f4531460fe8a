// The figures' tables: cases per department (summary), and the department and people reports with
// points. Department rows link to the ledger filtered to that department's cases.
import { useTranslation } from "react-i18next";
import { Link } from "../router.jsx";
import { departmentName, formatRate } from "./names.js";

export function GroupTable({ rows, names, title, kind, testId, linkFor }) {
  const { t, i18n } = useTranslation();
  const language = i18n.language;
  return (
    <section className="card card-body mb-3">
      <h2 className="h6">{title}</h2>
      <div className="table-responsive">
        <table className="table table-sm mb-0" data-testid={testId}>
          <thead>
            <tr>
              <th scope="col">{t(`figures.col.${kind}`)}</th>
              <th scope="col">{t("figures.col.received")}</th>
              <th scope="col">{t("figures.col.closed")}</th>
              <th scope="col">{t("figures.col.closureRate")}</th>
              <th scope="col">{t("figures.col.onTimeRate")}</th>
              <th scope="col">{t("figures.col.handlingMedian")}</th>
              <th scope="col">{t("figures.col.satisfaction")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => {
              const label = kind === "department" ? departmentName(names, row.key, language) : row.key || "—";
              return (
                <tr key={row.key || "none"} data-key={row.key || ""}>
                  <td>{linkFor ? <Link to={linkFor(row.key)}>{label}</Link> : label}</td>
                  <td>{row.received}</td>
                  <td>{row.closed}</td>
                  <td>{formatRate(row.closure_rate, language)}</td>
                  <td>{formatRate(row.on_time_closure_rate, language)}</td>
                  <td>{row.handling_days_median ?? "—"}</td>
                  <td>{row.satisfaction_average ?? "—"}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function HandlersTable({ report, names, title, kind, testId, linkFor }) {
  const { t, i18n } = useTranslation();
  const language = i18n.language;
  if (!report) return null;
  return (
    <section className="card card-body mb-3">
      <h2 className="h6">{title}</h2>
      <div className="table-responsive">
        <table className="table table-sm mb-0" data-testid={testId}>
          <thead>
            <tr>
              <th scope="col">{t("figures.col.rank")}</th>
              <th scope="col">{t(`figures.col.${kind}`)}</th>
              <th scope="col">{t("figures.col.handled")}</th>
              <th scope="col">{t("figures.col.onTimeRate")}</th>
              <th scope="col">{t("figures.col.overdue")}</th>
              <th scope="col">{t("figures.col.escalations")}</th>
              <th scope="col">{t("figures.col.sendBacks")}</th>
              <th scope="col">{t("figures.col.points")}</th>
            </tr>
          </thead>
          <tbody>
            {report.rows.map((row) => {
              const label = kind === "department" ? departmentName(names, row.key, language) : row.name || row.key;
              return (
                <tr key={row.key} data-key={row.key}>
                  <td>{row.rank}</td>
                  <td>{linkFor ? <Link to={linkFor(row.key)}>{label}</Link> : label}</td>
                  <td>{row.handled}</td>
                  <td>{formatRate(row.on_time_rate, language)}</td>
                  <td>{row.overdue}</td>
                  <td>{row.escalations}</td>
                  <td>{row.send_backs_received}</td>
                  <td className="fw-semibold">{row.points}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
