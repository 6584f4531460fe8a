// The inbox: open tasks of the signed-in user's departments and the tasks they claimed, most urgent
// first, with counts, filters by process and status; the rows come from the shared poller (inboxTasks.js).
import { useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { get } from "../api.js";
import { formatDateTime, formatWaiting } from "../format.js";
import { Link } from "../router.jsx";
import { DUE_BADGE, dueKey } from "./due.js";
import { OPEN_LIMIT, countTasks, useInboxTasks } from "./inboxTasks.js";

const STATUSES = ["all", "open", "mine", "due_soon", "overdue"];

export default function Inbox({ user }) {
  const { t, i18n } = useTranslation();
  const { rows, failed, refresh, openShown, openTotal, openCapped } = useInboxTasks(user);
  // fewer open tasks fetched than there are (a capped count is "at least": then only a full fetch left some out)
  const partial = rows !== null && (openCapped ? openShown >= OPEN_LIMIT : openTotal > openShown);
  const [names, setNames] = useState({});
  const [departments, setDepartments] = useState({});
  const [status, setStatus] = useState("all");
  const [process, setProcess] = useState("");
  const error = failed ? t("app.loadFailed") : null;

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

  const counts = useMemo(() => countTasks(rows), [rows]);

  const shown = (rows || []).filter((r) => {
    if (process && r.process_key !== process) return false;
    if (status === "open") return r.state === "open";
    if (status === "mine") return r.mine;
    if (status === "due_soon" || status === "overdue") return r.due_status === status;
    return true;
  });
  const processes = [...new Set((rows || []).map((r) => r.process_key))].sort();
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
                  onClick={() => setStatus(s)}>
            {t(`inbox.filter.${s}`)}{" "}
            <span className="badge bg-light text-dark wt-count" data-count={s}>
              {counts[s]}
            </span>
          </button>
        ))}
        <label className="ms-auto d-flex align-items-center gap-2">
          <span className="text-nowrap">{t("inbox.process")}</span>
          <select className="form-select form-select-sm" value={process} onChange={(e) => setProcess(e.target.value)}>
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
      {partial && (
        <div className="alert alert-info" data-testid="inbox-partial">
          {t(openCapped ? "inbox.partialCapped" : "inbox.partial", { shown: openShown, total: Math.max(openTotal, openShown) })}
        </div>
      )}
      {rows === null ? (
        <p className="text-muted">{t("app.loading")}</p>
      ) : shown.length === 0 ? (
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
              {shown.map((r) => (
                <tr key={r.id} data-task-id={r.id}>
                  <td>
                    <Link to={`/tasks/${r.id}`}>{r.case_number}</Link>
                    {r.mine && <span className="badge bg-info text-dark ms-2">{t("inbox.claimedByMe")}</span>}
                  </td>
                  <td data-case-data>{r.business_key || "—"}</td>
                  <td data-case-data>{names[r.process_key] || r.process_key}</td>
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
    </section>
  );
}
