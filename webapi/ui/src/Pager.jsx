// Previous / next page of a paged list, and with ``onPageSize`` its page size. ``keys``: the calling area's
// catalogue prefix (its paging, previous, next, pageOf, pageOfMany, pageSize); ``more``: the total was capped
// (the server stopped counting), so the number of pages is unknown; ``hasNext``: whether a next page exists
// (default: while the total is capped, or before the last counted page).
import { useTranslation } from "react-i18next";

export default function Pager({ keys, testId, page, pages, total, more = false, hasNext, onPage, pageSize, onPageSize,
  pageSizes = [] }) {
  const { t } = useTranslation();
  const next = hasNext ?? (more || page < pages);
  return (
    <nav className="d-flex flex-wrap align-items-center gap-2" aria-label={t(`${keys}.paging`)}>
      <button type="button" className="btn btn-sm btn-outline-secondary" disabled={page <= 1}
        onClick={() => onPage(page - 1)}>
        {t(`${keys}.previous`)}
      </button>
      <span className="small" data-testid={testId}>
        {t(more ? `${keys}.pageOfMany` : `${keys}.pageOf`, { page, pages, total })}
      </span>
      <button type="button" className="btn btn-sm btn-outline-secondary" disabled={!next}
        onClick={() => onPage(page + 1)}>
        {t(`${keys}.next`)}
      </button>
      {onPageSize && (
        <>
          <label htmlFor={`${testId}-size`} className="small ms-2">{t(`${keys}.pageSize`)}</label>
          <select id={`${testId}-size`} className="form-select form-select-sm w-auto" value={pageSize}
            onChange={(event) => onPageSize(Number(event.target.value))}>
            {pageSizes.map((size) => <option key={size} value={size}>{size}</option>)}
          </select>
        </>
      )}
    </nav>
  );
}
