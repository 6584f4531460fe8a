// The department figures (summary.by_department) and the department / people tables with points
// (GET /reports/departments, /reports/people); rows link to the ledger filtered to their cases.
import { useTranslation } from "react-i18next";
import { Link } from "../router.jsx";
import { ledgerLink } from "./query.js";
import { RateText } from "./Totals.jsx";

export function DepartmentFigures({ rows, deptName, period }) {
  const { t } = useTranslation();
  return (
    <div className="table-responsive">
      <table className="table table-sm small bg-white text-nowrap" data-testid="department-figures">
        <caption className="caption-top fw-semibold text-body">{t("figures.departmentFigures")}</caption>
        <thead>
          <tr>
            {["department", "received", "accepted", "closed", "open", "on_time_closure_rate", "satisfaction"].map((c) => (
              <th scope="col" key={c}>{t(`figures.col.${c}`)}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key || "none"} data-department={row.key || ""}>
              <th scope="row">
                {row.key ? (
                  <Link to={ledgerLink({ ...period, department: row.key })}>{deptName(row.key)}</Link>
                ) : t("figures.none")}
              </th>
              <td>{row.received}</td>
              <td>{row.accepted}</td>
              <td>{row.closed}</td>
              <td>{row.open}</td>
              <td><RateText rate={row.on_time_closure_rate} /></td>
              <td>{row.satisfaction_average ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const HANDLER_COLUMNS = ["handled", "claim_hours_median", "complete_hours_median", "overdue", "overdue_working_days",
  "on_time_rate", "escalations", "send_backs_received", "satisfied", "unsatisfied", "points"];

export function HandlersTable({ id, report, nameOf, linkOf }) {
  const { t } = useTranslation();
  return (
    <div className="table-responsive">
      <table className="table table-sm small bg-white text-nowrap" data-testid={id}>
        <caption className="caption-top fw-semibold text-body">{t(`figures.${id}`)}</caption>
        <thead>
          <tr>
            <th scope="col">{t("figures.col.rank")}</th>
            <th scope="col">{t(`figures.col.${id === "people" ? "person" : "department"}`)}</th>
            {HANDLER_COLUMNS.map((c) => <th scope="col" key={c}>{t(`figures.col.${c}`)}</th>)}
          </tr>
        </thead>
        <tbody>
          {report.rows.map((row) => {
            const link = linkOf && linkOf(row);
            return (
              <tr key={row.key} data-key={row.name || row.key}>
                <td>{row.rank}</td>
                <th scope="row">{link ? <Link to={link}>{nameOf(row)}</Link> : nameOf(row)}</th>
                {HANDLER_COLUMNS.map((c) => (
                  <td key={c}>{c === "on_time_rate" ? <RateText rate={row[c]} /> : row[c] ?? "—"}</td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
