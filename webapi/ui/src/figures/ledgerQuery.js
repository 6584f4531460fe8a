// The ledger's filters, sort and page as URL query text and back: a link can point at a filtered ledger.
export const FILTERS = ["number", "company", "process", "department", "category", "state", "closed", "due_status", "from", "to"];
export const PAGE_SIZE = 25;

export function readQuery(search) {
  const params = new URLSearchParams(search);
  const filters = {};
  for (const name of FILTERS) if (params.get(name)) filters[name] = params.get(name);
  return {
    filters,
    sort: params.get("sort") || "-started_at",
    page: Math.max(1, parseInt(params.get("page") || "1", 10) || 1),
  };
}

// The query text for the API (and the page URL); ``extra`` adds e.g. format=csv.
export function queryText({ filters, sort, page }, extra = {}) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value !== "" && value != null) params.set(name, value);
  if (sort) params.set("sort", sort);
  if (page && page > 1) params.set("page", String(page));
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  return params.toString();
}
