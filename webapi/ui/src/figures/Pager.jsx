// Previous / next page and the page size of a paged list. ``more``: the total was capped (the server stopped
// counting), so the number of pages is unknown and "next" stays open while pages come back full.
import { useTranslation } from "react-i18next";
import { PAGE_SIZES } from "./query.js";

export default function Pager({ page, pages, pageSize, onPage, onPageSize, more = false }) {
  const { t } = useTranslation();
  return (
    <nav className="d-flex flex-wrap align-items-center gap-2" aria-label={t("figures.ledger.paging")}>
      <button type="button" className="btn btn-sm btn-outline-secondary" disabled={page <= 1}
        onClick={() => onPage(page - 1)}>
        {t("figures.ledger.previous")}
      </button>
      <span className="small" data-testid="ledger-page">
        {more ? t("figures.ledger.pageOfMany", { page }) : t("figures.ledger.pageOf", { page, pages })}
      </span>
      <button type="button" className="btn btn-sm btn-outline-secondary" disabled={!more && page >= pages}
        onClick={() => onPage(page + 1)}>
        {t("figures.ledger.next")}
      </button>
      <label htmlFor="ledger-page-size" className="small ms-2">{t("figures.ledger.pageSize")}</label>
      <select id="ledger-page-size" className="form-select form-select-sm w-auto" value={pageSize}
        onChange={(event) => onPageSize(Number(event.target.value))}>
        {PAGE_SIZES.map((size) => <option key={size} value={size}>{size}</option>)}
      </select>
    </nav>
  );
}
