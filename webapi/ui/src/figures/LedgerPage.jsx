// The ledger (问题办理台账) at /ledger: GET /ledger filtered, sorted and paged as the URL query says,
// with CSV and Excel exports of every matching row.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, getPage } from "../api.js";
import { LEDGER_FILTERS, LEDGER_SORTS, PAGE_SIZES, toQuery, useQuery } from "./query.js";
import { useDepartments, useProcessNames } from "./names.js";
import { ledgerColumns } from "./ledgerColumns.jsx";
import LedgerFilters from "./LedgerFilters.jsx";
import Pager from "../Pager.jsx";

const DEFAULT_SORT = "-started_at";

function filtersOf(query) {
  return Object.fromEntries(LEDGER_FILTERS.filter((n) => query[n]).map((n) => [n, query[n]]));
}

export default function LedgerPage() {
  const { t, i18n } = useTranslation();
  const [query, setQuery] = useQuery();
  const departments = useDepartments();
  const processes = useProcessNames();
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const filters = filtersOf(query);
  const sort = LEDGER_SORTS.has((query.sort || "").replace(/^-/, "")) ? query.sort : DEFAULT_SORT;
  const pageSize = PAGE_SIZES.includes(Number(query.page_size)) ? Number(query.page_size) : 50;
  const page = Math.max(1, Number(query.page) || 1);
  const apiQuery = toQuery({ ...filters, sort, page, page_size: pageSize });

  useEffect(() => {
    let live = true;
    setError(null);
    getPage(`/ledger${apiQuery}`)
      .then((answer) => live && setResult(answer))
      .catch((e) => {
        if (!live) return;
        setResult(null);
        setError(e instanceof ApiError && e.status < 500 ? e.message : t("app.unexpected"));
      });
    return () => {
      live = false;
    };
  }, [apiQuery, t]);

  const state = { ...filters, sort: sort === DEFAULT_SORT ? undefined : sort,
    page_size: pageSize === 50 ? undefined : pageSize };
  const go = (changes) => setQuery({ ...state, page, ...changes });
  const sortBy = (key) => go({ sort: sort === key ? `-${key}` : key, page: undefined });
  const columns = ledgerColumns(t, i18n.language, departments, processes);
  const exportHref = (format) => `/api/v1/ledger${toQuery({ ...filters, sort, format })}`;
  const total = result?.pagination?.total ?? 0;
  // a capped total ("more than N") gives no page count: a full page may have a next one, a short one is the last
  const full = (result?.items.length ?? 0) === pageSize;
  const lastCounted = Boolean(result?.capped) && !full;

  return (
    <section>
      <div className="d-flex flex-wrap align-items-center gap-2 mb-2">
        <h1 className="h4 me-auto mb-0">{t("figures.ledger.title")}</h1>
        <a className="btn btn-sm btn-outline-success" href={exportHref("csv")} download="ledger.csv">
          {t("figures.ledger.exportCsv")}
        </a>
        <a className="btn btn-sm btn-outline-success" href={exportHref("xlsx")} download="ledger.xlsx">
          {t("figures.ledger.exportXlsx")}
        </a>
      </div>
      <LedgerFilters query={query} departments={departments}
        onApply={(draft) => setQuery({ ...draft, sort: state.sort, page_size: state.page_size })} />
      {error && <div className="alert alert-danger" role="alert">{error}</div>}
      <p className="small text-muted mb-1" data-testid="ledger-total" aria-live="polite">
        {result ? t(result.capped ? "figures.ledger.totalCapped" : "figures.ledger.total", { count: total })
          : t("app.loading")}
      </p>
      <div className="table-responsive">
        <table className="table table-sm table-hover align-middle small text-nowrap" data-testid="ledger-table">
          <thead>
            <tr>
              {columns.map((column) => {
                const label = t(`figures.ledger.col.${column.key}`);
                if (!column.sort) return <th key={column.key} scope="col">{label}</th>;
                const direction = sort === column.sort ? "ascending" : sort === `-${column.sort}` ? "descending" : "none";
                const arrow = { ascending: " ▲", descending: " ▼", none: "" }[direction];
                return (
                  <th key={column.key} scope="col" aria-sort={direction}>
                    <button type="button" className="btn btn-link btn-sm p-0 text-nowrap fw-semibold"
                      onClick={() => sortBy(column.sort)}>
                      {label}
                      {arrow}
                      {direction !== "none" && <span className="visually-hidden">{t(`figures.ledger.${direction}`)}</span>}
                    </button>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {(result?.items || []).map((row) => (
              <tr key={row.instance_id}>
                {columns.map((column) => (
                  <td key={column.key} data-case-data={column.caseData ? "" : undefined}>{column.cell(row)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {result && total === 0 && <p className="text-muted">{t("figures.ledger.empty")}</p>}
      <Pager keys="figures.ledger" testId="ledger-page" page={page}
        pages={lastCounted ? page : result?.pagination?.total_pages || 1} pageSize={pageSize} pageSizes={PAGE_SIZES}
        more={Boolean(result?.capped) && full}
        onPage={(p) => go({ page: p })} onPageSize={(size) => go({ page_size: size, page: undefined })} />
    </section>
  );
}
