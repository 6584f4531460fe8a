// A supervisor's three actions on one task, each with its required reason: reassign it (to a
// department, or to a person there), extend its deadline, send it back where the process allows.
// The server judges every request; its 422 errors appear under their fields.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import Tab from "react-bootstrap/Tab";
import Tabs from "react-bootstrap/Tabs";
import { ApiError, post } from "../api.js";
import ReasonField from "./ReasonField.jsx";
import { shanghaiIso, shanghaiLocal, splitProblem } from "./problems.js";

const CONFLICTS = ["send_back_not_allowed", "task_not_open", "stale_case", "task_claimed_by_other"];

// Runs one action: on success ``onDone(messageKey)``; on a problem, field errors and a form message.
function useAction(shown, onDone, doneKey) {
  const { t } = useTranslation();
  const [errors, setErrors] = useState({});
  const [message, setMessage] = useState(null);
  const [busy, setBusy] = useState(false);
  const run = async (path, body) => {
    setBusy(true);
    try {
      await post(path, body);
      setErrors({});
      setMessage(null);
      onDone(doneKey);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const { byField, other } = splitProblem(error.problem, shown, t);
      setErrors(byField);
      if (error.status === 409 && CONFLICTS.includes(error.problem.code)) setMessage(t(`supervision.conflict.${error.problem.code}`));
      else if (error.status === 422) setMessage([t("supervision.invalid"), ...other].join(" "));
      else setMessage(error.message || t("app.unexpected"));
    } finally {
      setBusy(false);
    }
  };
  return { errors, message, busy, run };
}

function FormMessage({ message }) {
  return message ? <div className="alert alert-danger py-2" role="alert" data-testid="action-message">{message}</div> : null;
}

function Reassign({ task, departments, people, onDone, language }) {
  const { t } = useTranslation();
  const [department, setDepartment] = useState(task.department || "");
  const [person, setPerson] = useState("");
  const [reason, setReason] = useState("");
  const action = useAction(["/reason", "/user_id", "/department"], onDone, "supervision.done.reassigned");
  const members = people.filter((p) => p.active && p.departments.includes(department)
    && (p.roles.includes("staff") || p.roles.includes("supervisor")));
  const submit = (event) => {
    event.preventDefault();
    const body = { reason };
    if (person) body.user_id = person;
    if (!person || department !== task.department) body.department = department;
    action.run(`/tasks/${task.id}/assign`, body);
  };
  return (
    <form onSubmit={submit} noValidate aria-label={t("supervision.reassign")}>
      <FormMessage message={action.message} />
      <div className="row g-2 mb-2">
        <div className="col-sm-6">
          <label htmlFor="reassign-department" className="form-label">{t("supervision.toDepartment")}</label>
          <select id="reassign-department" className={`form-select${action.errors["/department"] ? " is-invalid" : ""}`}
                  value={department} onChange={(e) => { setDepartment(e.target.value); setPerson(""); }}>
            {departments.map((d) => (
              <option key={d.code} value={d.code}>{language === "en" ? d.name_en || d.name : d.name}</option>
            ))}
          </select>
          {action.errors["/department"] && <div className="invalid-feedback d-block">{action.errors["/department"]}</div>}
        </div>
        <div className="col-sm-6">
          <label htmlFor="reassign-person" className="form-label">{t("supervision.toPerson")}</label>
          <select id="reassign-person" className={`form-select${action.errors["/user_id"] ? " is-invalid" : ""}`}
                  value={person} onChange={(e) => setPerson(e.target.value)}>
            <option value="">{t("supervision.anyone")}</option>
            {members.map((p) => (
              <option key={p.id} value={p.id}>{p.display_name} ({p.username})</option>
            ))}
          </select>
          {action.errors["/user_id"] && <div className="invalid-feedback d-block">{action.errors["/user_id"]}</div>}
        </div>
      </div>
      <ReasonField id="reassign-reason" value={reason} onChange={setReason} error={action.errors["/reason"]} />
      <button type="submit" className="btn btn-primary" disabled={action.busy}>{t("supervision.reassign")}</button>
    </form>
  );
}

function Extend({ task, onDone }) {
  const { t } = useTranslation();
  const base = Math.max(Date.now(), task.due_at ? new Date(task.due_at).getTime() : 0);
  const [dueAt, setDueAt] = useState(shanghaiLocal(new Date(base + 24 * 3600 * 1000)));
  const [reason, setReason] = useState("");
  const action = useAction(["/reason", "/due_at"], onDone, "supervision.done.extended");
  const submit = (event) => {
    event.preventDefault();
    action.run(`/tasks/${task.id}/deadline`, { due_at: shanghaiIso(dueAt), reason });
  };
  return (
    <form onSubmit={submit} noValidate aria-label={t("supervision.extend")}>
      <FormMessage message={action.message} />
      <div className="mb-2">
        <label htmlFor="extend-due" className="form-label">{t("supervision.newDeadline")}</label>
        <input id="extend-due" type="datetime-local" className={`form-control${action.errors["/due_at"] ? " is-invalid" : ""}`}
               value={dueAt} onChange={(e) => setDueAt(e.target.value)} />
        {action.errors["/due_at"] && <div className="invalid-feedback d-block">{action.errors["/due_at"]}</div>}
      </div>
      <ReasonField id="extend-reason" value={reason} onChange={setReason} error={action.errors["/reason"]} />
      <button type="submit" className="btn btn-primary" disabled={action.busy}>{t("supervision.extend")}</button>
    </form>
  );
}

function SendBack({ task, onDone }) {
  const { t } = useTranslation();
  const [reason, setReason] = useState("");
  const action = useAction(["/reason"], onDone, "supervision.done.sentBack");
  const submit = (event) => {
    event.preventDefault();
    action.run(`/tasks/${task.id}/send-back`, { reason });
  };
  return (
    <form onSubmit={submit} noValidate aria-label={t("supervision.sendBack")}>
      <p className="text-muted small">{t("supervision.sendBackHint")}</p>
      <FormMessage message={action.message} />
      <ReasonField id="sendback-reason" value={reason} onChange={setReason} error={action.errors["/reason"]} />
      <button type="submit" className="btn btn-outline-danger" disabled={action.busy}>{t("supervision.sendBack")}</button>
    </form>
  );
}

export default function TaskActions({ task, departments, people, onDone, onClose }) {
  const { t, i18n } = useTranslation();
  return (
    <section className="card mb-3" aria-labelledby="actions-title" data-testid="task-actions">
      <div className="card-header d-flex align-items-center">
        <h2 id="actions-title" className="h6 mb-0 me-auto">
          {t("supervision.actOn", { step: task.name || task.activity_id, number: task.case_number })}
        </h2>
        <button type="button" className="btn-close" aria-label={t("supervision.close")} onClick={onClose} />
      </div>
      <div className="card-body">
        <Tabs defaultActiveKey="reassign" id="supervision-actions" className="mb-3" mountOnEnter unmountOnExit>
          <Tab eventKey="reassign" title={t("supervision.reassign")}>
            <Reassign task={task} departments={departments} people={people} onDone={onDone} language={i18n.language} />
          </Tab>
          <Tab eventKey="extend" title={t("supervision.extend")}>
            <Extend task={task} onDone={onDone} />
          </Tab>
          <Tab eventKey="sendBack" title={t("supervision.sendBack")}>
            <SendBack task={task} onDone={onDone} />
          </Tab>
        </Tabs>
      </div>
    </section>
  );
}
