// The inbox: the open steps of the signed-in user's departments and the steps they claimed, most urgent
// first, paged, filtered (status, process) and counted by the server (GET /tasks?inbox=true and the shared
// counts poller, inboxTasks.js); each poll fetches the shown page again.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { get, getPage } from "../api.js";
import { formatDateTime, formatWaiting } from "../format.js";
import Pager from "../Pager.jsx";
import { Link } from "../router.jsx";
import { DUE_BADGE, dueKey } from "./due.js";
import { useInboxCounts } from "./inboxTasks.js";

const STATUSES = ["all", "open", "mine", "due_soon", "overdue"];
const PAGE_SIZE = 50;
const STATUS_QUERY = { all: "", open: "&state=open", mine: "&state=claimed", due_soon: "&due_status=due_soon",
                       overdue: "&due_status=overdue" };

export default function Inbox({ user }) {
  const { t, i18n } = useTranslation();
  const { counts, failed, tick, refresh } = useInboxCounts(user);
  const [names, setNames] = useState({});
  const [departments, setDepartments] = useState({});
  const [status, setStatus] = useState("all");
  const [process, setProcess] = useState("");
  const [page, setPage] = useState(1);
  const [result, setResult] = useState(null); // {items, total, pages, capped} of the shown page
  const [pageFailed, setPageFailed] = useState(false);
  const error = failed || pageFailed ? t("app.loadFailed") : null;
  const query = `/tasks?inbox=true&sort=due_at&page_size=${PAGE_SIZE}&page=${page}${STATUS_QUERY[status]}`
    + (process ? `&process_key=${encodeURIComponent(process)}` : "");

  useEffect(() => {
    let alive = true;
    refresh(); // the shared poller may be up to POLL_MS old (e.g. just after completing a task)
    get("/process-definitions?page_size=200")
      .then((definitions) => {
        const map = {};
        for (const d of definitions) map[d.key] = d.name || d.key;
        if (alive) setNames(map);
      })
      .catch(() => {});
    get("/departments?page_size=200")
      .then((list) => {
        const map = {};
        for (const d of list) map[d.code] = { "zh-CN": d.name, en: d.name_en || d.name };
        if (alive) setDepartments(map);
      })
      .catch(() => {});
    return () => {
      alive = false;
    };
  }, [user]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    let alive = true;
    getPage(query)
      .then((found) => {
        if (!alive) return;
        setResult(found);
        setPageFailed(false);
      })
      .catch(() => alive && setPageFailed(true));
    return () => {
      alive = false;
    };
  }, [query, tick]);

  const choose = (next) => {
    setPage(1);
    next();
  };
  const rows = result ? result.items : null;
  const last = result ? (result.capped ? rows.length < PAGE_SIZE : page >= result.pages) : true;
  const processes = Object.keys(names).sort();
  const now = Date.now();

  return (
    <section aria-labelledby="inbox-title">
      <h1 id="inbox-title" className="h4 mb-3">
        {t("inbox.title")}
      </h1>
      <div className="d-flex flex-wrap gap-2 mb-3" role="group" aria-label={t("inbox.status")}>
        {STATUSES.map((s) => (
          <button key={s} type="button" data-status={s} aria-pressed={status === s}
                  className={`btn btn-sm ${status === s ? "btn-success" : "btn-outline-success"}`}
                  onClick={() => choose(() => setStatus(s))}>
            {t(`inbox.filter.${s}`)}{" "}
            <span className="badge bg-light text-dark wt-count" data-count={s}>
              {counts ? counts[s] : "…"}
            </span>
          </button>
        ))}
        <label className="ms-auto d-flex align-items-center gap-2">
          <span className="text-nowrap">{t("inbox.process")}</span>
          <select className="form-select form-select-sm" value={process}
                  onChange={(e) => choose(() => setProcess(e.target.value))}>
            <option value="">{t("inbox.allProcesses")}</option>
            {processes.map((key) => (
              <option key={key} value={key} data-case-data>
                {names[key] || key}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && <div className="alert alert-warning" role="alert">{error}</div>}
      {rows === null ? (
        <p className="text-muted">{t("app.loading")}</p>
      ) : rows.length === 0 ? (
        <p className="text-muted" data-testid="inbox-empty">{t("inbox.empty")}</p>
      ) : (
        <div className="table-responsive">
          <table className="table table-hover bg-white align-middle" data-testid="inbox">
            <thead>
              <tr>
                <th scope="col">{t("inbox.col.case")}</th>
                <th scope="col">{t("inbox.col.subject")}</th>
                <th scope="col">{t("inbox.col.process")}</th>
                <th scope="col">{t("inbox.col.step")}</th>
                <th scope="col">{t("inbox.col.department")}</th>
                <th scope="col">{t("inbox.col.due")}</th>
                <th scope="col">{t("inbox.col.waiting")}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-task-id={r.id}>
                  <td>
                    <Link to={`/tasks/${r.id}`}>{r.case_number}</Link>
                    {r.state === "claimed" && <span className="badge bg-info text-dark ms-2">{t("inbox.claimedByMe")}</span>}
                  </td>
                  <td data-case-data>{r.business_key || "—"}</td>
                  <td data-case-data>{names[r.process_key] || r.process_name || r.process_key}</td>
                  <td>
                    <Link to={`/tasks/${r.id}`} data-case-data>{r.name || r.activity_id}</Link>
                  </td>
                  <td data-case-data>{(departments[r.department] && departments[r.department][i18n.language]) || r.department}</td>
                  <td>
                    {r.due_at ? formatDateTime(r.due_at, i18n.language) : ""}{" "}
                    <span className={`badge ${DUE_BADGE[r.due_status] || "bg-secondary"}`}>{t(dueKey(r.due_status))}</span>
                  </td>
                  <td className="wt-waiting">{formatWaiting(r.created_at, i18n.language, now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {result && (page > 1 || !last) && (
        <Pager keys="inbox" testId="inbox-page" page={page} pages={result.pages} total={result.total}
          more={result.capped} hasNext={!last} onPage={setPage} />
      )}
    </section>
  );
}
