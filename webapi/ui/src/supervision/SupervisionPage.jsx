// 督办: the overdue and due-soon work of the supervisor's departments (GET /supervision), the escalation
// tasks opened for them, and the actions on one task (TaskActions). Polled every POLL_MS.
import { useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { get } from "../api.js";
import { formatDateTime } from "../format.js";
import { Link } from "../router.jsx";
import { DUE_BADGE, dueKey } from "../pages/due.js";
import TaskActions from "./TaskActions.jsx";

const POLL_MS = 10000;

function DueCell({ task, language }) {
  const { t } = useTranslation();
  return (
    <>
      {task.due_at ? formatDateTime(task.due_at, language) : ""}{" "}
      <span className={`badge ${DUE_BADGE[task.due_status] || "bg-secondary"}`}>{t(dueKey(task.due_status))}</span>
    </>
  );
}

export default function SupervisionPage() {
  const { t, i18n } = useTranslation();
  const [work, setWork] = useState(null);
  const [escalations, setEscalations] = useState([]);
  const [departments, setDepartments] = useState([]);
  const [people, setPeople] = useState([]);
  const [selected, setSelected] = useState(null);
  const [notice, setNotice] = useState(null);
  const [error, setError] = useState(null);
  const alive = useRef(true);

  const load = useCallback(async () => {
    try {
      const [late, open, claimed] = await Promise.all([
        get("/supervision?page_size=200"),
        get("/tasks?state=open&page_size=200&sort=due_at"),
        get("/tasks?state=claimed&page_size=200&sort=due_at"),
      ]);
      if (!alive.current) return;
      setWork(late.filter((task) => task.kind !== "escalation"));
      setEscalations([...open, ...claimed].filter((task) => task.kind === "escalation"));
      setError(null);
    } catch (e) {
      if (alive.current) setError(t("supervision.forbidden"));
    }
  }, [t]);

  useEffect(() => {
    alive.current = true;
    load();
    get("/departments?page_size=200").then((list) => alive.current && setDepartments(list)).catch(() => {});
    get("/users?page_size=200").then((list) => alive.current && setPeople(list)).catch(() => {});
    const timer = window.setInterval(load, POLL_MS);
    return () => {
      alive.current = false;
      window.clearInterval(timer);
    };
  }, [load]);

  const departmentName = (code) => {
    const found = departments.find((d) => d.code === code);
    if (!found) return code || "—";
    return i18n.language === "en" ? found.name_en || found.name : found.name;
  };

  const personName = (id) => {
    if (!id) return t("supervision.unclaimed");
    const found = people.find((p) => p.id === id);
    return found ? found.display_name : id;
  };

  const done = (messageKey) => {
    setNotice(t(messageKey, { step: selected.name || selected.activity_id, number: selected.case_number }));
    setSelected(null);
    load();
  };

  return (
    <section aria-labelledby="supervision-title">
      <h1 id="supervision-title" className="h4 mb-3">{t("supervision.title")}</h1>
      {notice && <div className="alert alert-success" role="status" data-testid="supervision-notice">{notice}</div>}
      {error && <div className="alert alert-warning" role="alert">{error}</div>}
      {selected && (
        <TaskActions key={selected.id} task={selected} departments={departments} people={people} onDone={done}
                     onClose={() => setSelected(null)} />
      )}
      <h2 className="h5">{t("supervision.lateWork")}</h2>
      {work === null ? (
        <p className="text-muted">{t("app.loading")}</p>
      ) : work.length === 0 ? (
        <p className="text-muted" data-testid="supervision-empty">{t("supervision.noLateWork")}</p>
      ) : (
        <div className="table-responsive">
          <table className="table table-hover bg-white align-middle" data-testid="supervision">
            <thead>
              <tr>
                <th scope="col">{t("supervision.col.case")}</th>
                <th scope="col">{t("supervision.col.step")}</th>
                <th scope="col">{t("supervision.col.assignee")}</th>
                <th scope="col">{t("supervision.col.due")}</th>
                <th scope="col"><span className="visually-hidden">{t("supervision.col.actions")}</span></th>
              </tr>
            </thead>
            <tbody>
              {work.map((task) => (
                <tr key={task.id} data-task-id={task.id}>
                  <td>
                    <Link to={`/tasks/${task.id}`}>{task.case_number}</Link>
                    <div className="small text-muted" data-case-data>{task.business_key || "—"} · {task.process_name || task.process_key}</div>
                  </td>
                  <td>
                    <span data-case-data>{task.name || task.activity_id}</span>
                    <div className="small text-muted">{departmentName(task.department)}</div>
                  </td>
                  <td data-testid="assignee">{personName(task.assignee)}</td>
                  <td><DueCell task={task} language={i18n.language} /></td>
                  <td>
                    <button type="button" className="btn btn-sm btn-outline-primary" aria-expanded={selected?.id === task.id}
                            onClick={() => { setNotice(null); setSelected(task); }}>
                      {t("supervision.act")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2 className="h5 mt-4">{t("supervision.escalations")}</h2>
      {escalations.length === 0 ? (
        <p className="text-muted" data-testid="escalations-empty">{t("supervision.noEscalations")}</p>
      ) : (
        <ul className="list-group mb-3" data-testid="escalations">
          {escalations.map((task) => (
            <li key={task.id} className="list-group-item d-flex flex-wrap gap-2 align-items-center">
              <Link to={`/tasks/${task.id}`} data-case-data>{task.name || task.activity_id}</Link>
              <span className="text-muted">{task.case_number}</span>
              <span className="ms-auto">{departmentName(task.department)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
