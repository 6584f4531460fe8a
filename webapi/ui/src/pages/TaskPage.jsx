// The task page: the case summary, the instructions, the task's form (rjsf from the task's JSON
// Schema, filled with the case's current values) and claim / unclaim / complete. The server judges
// the data: its 422 errors are shown next to their fields with the entered data kept; a 409 in words.
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, get, post } from "../api.js";
import { formatDateTime } from "../format.js";
import { Link } from "../router.jsx";
import ServerJudgedForm from "../ServerJudgedForm.jsx";
import { DUE_BADGE, dueKey } from "./due.js";
import SendBack from "./SendBack.jsx";
import TaskComments from "./TaskComments.jsx";

// Sending back is a supervisor's act (the server checks which departments); others see no button.
const supervises = (user) => (user.roles || []).some((role) => role === "supervisor" || role === "admin");

// Server errors ({field: "/a/b", message}) as rjsf's extraErrors ({a: {b: {__errors: [...]}}}).
export function extraErrorsOf(problem) {
  const tree = {};
  for (const item of problem.errors || []) {
    const parts = (item.field || "").split("/").slice(1).filter((p) => p !== "data");
    let node = tree;
    for (const part of parts) node = node[part] = node[part] || {};
    node.__errors = [...(node.__errors || []), item.message];
  }
  return tree;
}

function Summary({ task, instance, department }) {
  const { t, i18n } = useTranslation();
  const rows = [
    ["task.case", <Link to={`/cases/${instance.id}`}>{instance.number}</Link>],
    ["task.subject", instance.business_key || "—"],
    ["task.process", instance.process_name || task.process_key],
    ["task.department", department || task.department || "—"],
    ["task.startedAt", formatDateTime(instance.started_at, i18n.language)],
  ];
  return (
    <dl className="row mb-0">
      {rows.map(([key, value]) => (
        <div key={key} className="col-6 col-md-4">
          <dt className="small text-muted">{t(key)}</dt>
          <dd data-case-data>{value}</dd>
        </div>
      ))}
      <div className="col-6 col-md-4">
        <dt className="small text-muted">{t("task.due")}</dt>
        <dd>
          {task.due_at ? formatDateTime(task.due_at, i18n.language) : ""}{" "}
          {/* a finished task has no due status: its date stays, without "no limit" beside it */}
          {(task.due_status || !task.due_at) && (
            <span className={`badge ${DUE_BADGE[task.due_status] || "bg-secondary"}`}>{t(dueKey(task.due_status))}</span>
          )}
        </dd>
      </div>
    </dl>
  );
}

export default function TaskPage({ taskId, user }) {
  const { t, i18n } = useTranslation();
  const [task, setTask] = useState(null);
  const [instance, setInstance] = useState(null);
  const [formData, setFormData] = useState({});
  const [extraErrors, setExtraErrors] = useState({});
  const [message, setMessage] = useState(null);
  const [busy, setBusy] = useState(false);
  const [department, setDepartment] = useState(null);

  const load = useCallback(async () => {
    const loaded = await get(`/tasks/${taskId}`);
    setTask(loaded);
    setFormData(loaded.data || {});
    setInstance(await get(`/process-instances/${loaded.instance_id}`));
    const list = await get("/departments?page_size=200");
    const found = list.find((d) => d.code === loaded.department);
    if (found) setDepartment(found);
  }, [taskId]);

  useEffect(() => {
    load().catch(() => setMessage({ kind: "danger", text: t("task.notFound") }));
  }, [load, t]);

  const explain = (error) => {
    if (error instanceof ApiError && error.status === 409) return t("task.conflict");
    if (error instanceof ApiError && error.status === 403) return t("task.forbidden");
    if (error instanceof ApiError && error.status === 422) return t("task.invalid");
    return t("app.unexpected");
  };

  const act = async (action, body) => {
    setBusy(true);
    setMessage(null);
    try {
      const result = await post(`/tasks/${taskId}/${action}`, body);
      if (action === "complete") {
        setTask(result.task);
        setExtraErrors({});
        setMessage({ kind: "success", text: t("task.completed") });
      } else {
        setTask(result);
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) setExtraErrors(extraErrorsOf(error.problem));
      setMessage({ kind: error.status === 422 ? "warning" : "danger", text: explain(error) });
      if (error instanceof ApiError && error.status === 409) load().catch(() => {});
    } finally {
      setBusy(false);
    }
  };

  if (!task || !instance) {
    return message ? <div className={`alert alert-${message.kind}`} role="alert">{message.text}</div>
      : <p className="text-muted">{t("app.loading")}</p>;
  }
  const mine = task.state === "claimed" && task.assignee === user.id;
  const workable = task.state === "open" || mine;

  return (
    <article aria-labelledby="task-title">
      <p className="mb-2">
        <Link to="/">← {t("task.back")}</Link>
      </p>
      <h1 id="task-title" className="h4">
        <span data-case-data>{task.name || task.activity_id}</span>{" "}
        <span className="badge bg-secondary fw-normal" data-testid="task-state">{t(`state.${task.state}`)}</span>
      </h1>
      <section className="card card-body mb-3" aria-label={t("task.summary")}>
        <Summary task={task} instance={instance}
                 department={department && (i18n.language === "en" ? department.name_en || department.name : department.name)} />
      </section>
      {message && (
        <div className={`alert alert-${message.kind}`} role="alert" data-testid="task-message">
          {message.text}
        </div>
      )}
      {task.instructions && (
        <section className="card card-body mb-3" aria-label={t("task.instructions")}>
          <h2 className="h6">{t("task.instructions")}</h2>
          <div className="wt-instructions" data-case-data>{task.instructions}</div>
        </section>
      )}
      <div className="d-flex gap-2 mb-3">
        {task.state === "open" && task.assignee !== user.id && ( // a step already given to me needs no claim
          <button type="button" className="btn btn-outline-success" disabled={busy} onClick={() => act("claim")}>
            {t("task.claim")}
          </button>
        )}
        {mine && (
          <button type="button" className="btn btn-outline-secondary" disabled={busy} onClick={() => act("unclaim")}>
            {t("task.unclaim")}
          </button>
        )}
        {task.send_back_to && ["open", "claimed"].includes(task.state) && supervises(user) && (
          <SendBack task={task} onSentBack={() => {
            setMessage({ kind: "success", text: t("task.sendBack.done") });
            load().catch(() => {});
          }} />
        )}
      </div>
      {workable && (
        <section className="card card-body" aria-label={t("task.form")} data-case-data>
          <ServerJudgedForm
            schema={task.form || { type: "object" }}
            formData={formData}
            extraErrors={extraErrors}
            disabled={busy}
            onChange={(event) => setFormData(event.formData)}
            onSubmit={(event) => act("complete", { data: event.formData || {} })}
          >
            <button type="submit" className="btn btn-success" disabled={busy}>
              {t("task.complete")}
            </button>
          </ServerJudgedForm>
        </section>
      )}
      <TaskComments taskId={task.id} instanceId={task.instance_id} />
    </article>
  );
}
