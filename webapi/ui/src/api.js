// The one way the pages talk to the server: the public REST API under /api/v1, signed in with the
// session cookie; state-changing requests send the session's CSRF token in X-CSRF-Token.
const V1 = "/api/v1";
let csrfToken = null;

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

export function setCsrfToken(token) {
  csrfToken = token;
}

// Signing out: no new request leaves once it starts, and the session ends only after the requests in
// flight (pollers') have come back, so none of them meets the ended session with a 401.
const inFlight = new Set();
let closing = false;

export async function endSession() {
  closing = true;
  try {
    await Promise.allSettled([...inFlight]);
    const response = await fetch(V1 + "/session", { method: "DELETE", credentials: "same-origin",
                                                    headers: { "X-CSRF-Token": csrfToken || "" } });
    if (!response.ok && response.status !== 401) throw new ApiError(response.status, null);
  } finally {
    csrfToken = null;
    closing = false;
  }
}

function send(method, path, body) {
  if (closing) return Promise.reject(new ApiError(0, { detail: "signing out" }));
  const sent = sendNow(method, path, body);
  inFlight.add(sent);
  sent.finally(() => inFlight.delete(sent)).catch(() => {});
  return sent;
}

async function sendNow(method, path, body) {
  const headers = { Accept: "application/json" };
  const multipart = body instanceof FormData; // file uploads: the browser sets the boundary
  if (body !== undefined && !multipart) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const response = await fetch(V1 + path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined || multipart ? body : JSON.stringify(body),
  });
  if (response.status === 204) return { data: null, response };
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return { data, response };
}

export async function call(method, path, body) {
  return (await send(method, path, body)).data;
}

// A page of a list endpoint: its items and flask-smorest's X-Pagination metadata (total, pages). ``capped``:
// the server stopped counting at its cap (X-Total-Count-Capped), so ``total`` means "at least this many".
export async function getPage(path) {
  const { data, response } = await send("GET", path);
  const meta = JSON.parse(response.headers.get("X-Pagination") || "{}");
  const capped = response.headers.get("X-Total-Count-Capped") === "true";
  return { items: data || [], pagination: meta, total: meta.total ?? (data || []).length, pages: meta.total_pages ?? 1,
    capped };
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body === undefined ? {} : body);
export const del = (path) => call("DELETE", path);

