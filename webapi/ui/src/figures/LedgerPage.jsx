// The ledger (问题办理台账): one row per case the user may see, filtered on every column, sorted,
// paged by the API (GET /ledger), with CSV and Excel downloads of the same filter. The filters live in
// the URL, so the figures page can link to the cases behind a number.
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, getPage } from "../api.js";
import { formatDateTime } from "../format.js";
import { Link } from "../router.jsx";
import { DUE_BADGE, dueKey } from "../pages/due.js";
import LedgerFilters from "./LedgerFilters.jsx";
import { PAGE_SIZE, queryText, readQuery } from "./ledgerQuery.js";
import { departmentName, processName, useNames } from "./names.js";

const COLUMNS = [
  ["number", "number"], ["company", "company"], ["process", "process_key"], ["department", "department_code"],
  ["category", "category"], ["state", "state"], ["started", "started_at"], ["due", "due_at"],
  ["handling", "handling_days"], ["satisfaction", "satisfaction"],
];

function SortHeader({ label, field, sort, onSort }) {
  const { t } = useTranslation();
  const active = sort === field || sort === `-${field}`;
  const descending = sort === `-${field}`;
  const next = active && !descending ? `-${field}` : field;
  return (
    <th scope="col" aria-sort={active ? (descending ? "descending" : "ascending") : "none"}>
      <button type="button" className="btn btn-link btn-sm p-0 text-decoration-none text-reset fw-semibold text-nowrap"
              onClick={() => onSort(next)} data-sort={field}>
        {t(`figures.ledger.col.${label}`)}{active ? (descending ? " ↓" : " ↑") : ""}
      </button>
    </th>
  );
}

function Row({ row, names }) {
  const { t, i18n } = useTranslation();
  const language = i18n.language;
  return (
    <tr data-instance-id={row.instance_id}>
      <td className="text-nowrap"><Link to={`/cases/${row.instance_id}`}>{row.number}</Link></td>
      <td data-case-data="">{row.company || row.business_key || "—"}</td>
      <td>{processName(names, row.process_key)}</td>
      <td>{departmentName(names, row.department_code, language)}</td>
      <td data-case-data="">{row.category || "—"}</td>
      <td>
        {t(`figures.state.${row.state}`)}
        {row.closed && <span className="badge bg-success ms-1">{t("figures.ledger.closed")}</span>}
      </td>
      <td className="text-nowrap">{formatDateTime(row.started_at, language)}</td>
      <td className="text-nowrap">
        {row.due_at ? formatDateTime(row.due_at, language) : ""}
        {row.due_status && <span className={`badge ms-1 ${DUE_BADGE[row.due_status] || "bg-secondary"}`}>{t(dueKey(row.due_status))}</span>}
      </td>
      <td>{row.handling_days ?? row.age_working_days ?? "—"}</td>
      <td>{row.satisfaction ?? "—"}</td>
    </tr>
  );
}

export default function LedgerPage() {
  const { t } = useTranslation();
  const names = useNames();
  const [query, setQuery] = useState(() => readQuery(window.location.search));
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);

  useEffect(() => {
    const onPop = () => setQuery(readQuery(window.location.search));
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);

  const load = useCallback(async () => {
    const text = queryText(query);
    window.history.replaceState({}, "", text ? `/ledger?${text}` : "/ledger");
    try {
      setResult(await getPage(`/ledger?${queryText(query, { page_size: String(PAGE_SIZE) })}`));
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError && e.status === 403 ? t("figures.forbidden")
        : e instanceof ApiError && e.status === 422 ? (e.problem.detail || t("figures.ledger.invalid")) : t("app.unexpected"));
    }
  }, [query, t]);

  useEffect(() => {
    load();
  }, [load]);

  const pages = result ? Math.max(1, Math.ceil(result.total / PAGE_SIZE)) : 1;
  const download = (format) => `/api/v1/ledger?${queryText({ ...query, page: 1 }, { format })}`;
  return (
    <section aria-labelledby="ledger-title">
      <div className="d-flex flex-wrap align-items-center gap-2 mb-3">
        <h1 id="ledger-title" className="h4 mb-0 me-auto">{t("figures.ledger.title")}</h1>
        <a className="btn btn-sm btn-outline-success" href={download("csv")} download>{t("figures.ledger.csv")}</a>
        <a className="btn btn-sm btn-outline-success" href={download("xlsx")} download>{t("figures.ledger.xlsx")}</a>
      </div>
      <LedgerFilters key={JSON.stringify(query.filters)} filters={query.filters} names={names}
                     onApply={(filters) => setQuery({ ...query, filters, page: 1 })} />
      {error && <div className="alert alert-warning" role="alert">{error}</div>}
      {result && (
        <>
          <p className="small text-muted mb-2" data-testid="ledger-total">{t("figures.ledger.total", { count: result.total })}</p>
          <div className="table-responsive">
            <table className="table table-sm table-hover bg-white align-middle" data-testid="ledger">
              <thead>
                <tr>
                  {COLUMNS.map(([label, field]) => (
                    <SortHeader key={field} label={label} field={field} sort={query.sort}
                                onSort={(sort) => setQuery({ ...query, sort, page: 1 })} />
                  ))}
                </tr>
              </thead>
              <tbody>
                {result.items.map((row) => <Row key={row.instance_id} row={row} names={names} />)}
              </tbody>
            </table>
          </div>
          {result.items.length === 0 && <p className="text-muted">{t("figures.ledger.empty")}</p>}
          <nav className="d-flex align-items-center gap-2" aria-label={t("figures.ledger.paging")}>
            <button type="button" className="btn btn-sm btn-outline-secondary" disabled={query.page <= 1}
                    onClick={() => setQuery({ ...query, page: query.page - 1 })}>{t("figures.ledger.previous")}</button>
            <span className="small" data-testid="ledger-page">{t("figures.ledger.page", { page: query.page, pages })}</span>
            <button type="button" className="btn btn-sm btn-outline-secondary" disabled={query.page >= pages}
                    onClick={() => setQuery({ ...query, page: query.page + 1 })}>{t("figures.ledger.next")}</button>
          </nav>
        </>
      )}
    </section>
  );
}
