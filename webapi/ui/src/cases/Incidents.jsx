// What stopped the case (its open incidents) and, for supervisors of the owning department and
// admins, fixing its data with a reason (PATCH /process-instances/{id}/variables) and retrying it
// (POST /process-instances/{id}/retry), offered when the API says the reader may (``may_repair``).
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, call, post } from "../api.js";
import { formatDateTime } from "../format.js";
import { extraErrorsOf } from "../pages/TaskPage.jsx";
import ServerJudgedForm from "../ServerJudgedForm.jsx";

// A typed value: JSON when it reads as JSON (numbers, true, lists...), else the text itself.
function parsed(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function explain(error, t) {
  const status = error instanceof ApiError ? error.status : 0;
  const key = { 403: "forbidden", 404: "forbidden", 409: "conflict", 422: "invalid" }[status];
  return key ? t(`cases.incidents.${key}`) : t("app.unexpected");
}

function FixData({ instance, onChanged }) {
  const { t } = useTranslation();
  const [formData, setFormData] = useState({});
  const [extraErrors, setExtraErrors] = useState({});
  const [notice, setNotice] = useState(null);
  const [busy, setBusy] = useState(false);
  const schema = {
    type: "object",
    required: ["name", "reason"],
    properties: {
      name: { type: "string", title: t("cases.incidents.variable") },
      value: { type: "string", title: t("cases.incidents.value") },
      unset: { type: "boolean", title: t("cases.incidents.unset") },
      reason: { type: "string", title: t("cases.incidents.reason") },
    },
  };
  const act = async (work, done) => {
    setBusy(true);
    setNotice(null);
    try {
      await work();
      setExtraErrors({});
      setNotice({ kind: "success", text: done });
      onChanged();
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) {
        const errors = (error.problem.errors || []).map((e) => ({
          ...e, field: (e.field || "").replace(/^\/(set|unset)(\/[^/]+)?.*/, "/name"),
        }));
        setExtraErrors(extraErrorsOf({ errors }));
      }
      setNotice({ kind: "danger", text: explain(error, t) });
    } finally {
      setBusy(false);
    }
  };
  const fix = ({ name, value, unset, reason }) => act(
    () => call("PATCH", `/process-instances/${instance.id}/variables`,
      unset ? { unset: [name], reason } : { set: { [name]: parsed(value ?? "") }, reason }),
    t("cases.incidents.fixed"),
  );
  const retry = () => act(() => post(`/process-instances/${instance.id}/retry`), t("cases.incidents.retried"));
  return (
    <div className="border-top pt-2 mt-2">
      <h3 className="h6">{t("cases.incidents.fixTitle")}</h3>
      {notice && <div className={`alert alert-${notice.kind} py-1`} role="alert">{notice.text}</div>}
      <ServerJudgedForm schema={schema} formData={formData} omitExtraData={false}
            extraErrors={extraErrors} disabled={busy} idPrefix="fix"
            onChange={(event) => setFormData(event.formData)} onSubmit={(event) => fix(event.formData || {})}>
        <div className="d-flex gap-2">
          <button type="submit" className="btn btn-sm btn-outline-primary" disabled={busy}>
            {t("cases.incidents.fix")}
          </button>
          <button type="button" className="btn btn-sm btn-warning" disabled={busy} onClick={retry}>
            {t("cases.incidents.retry")}
          </button>
        </div>
      </ServerJudgedForm>
    </div>
  );
}

export default function Incidents({ instance, progress, onChanged }) {
  const { t, i18n } = useTranslation();
  const open = (instance.incidents || []).filter((i) => !i.resolved_at);
  if (!open.length && instance.state !== "error") return null;
  return (
    <section className="card card-body border-danger" aria-labelledby="case-incidents-title">
      <h2 id="case-incidents-title" className="h6 text-danger">{t("cases.incidents.title")}</h2>
      <ul className="list-unstyled small mb-0" data-testid="case-incidents">
        {open.map((incident) => (
          <li key={incident.id} className="mb-1">
            <strong>{incident.code}</strong>{incident.element_id ? ` · ${incident.element_id}` : ""}
            {" · "}{formatDateTime(incident.created_at, i18n.language)}
            {!incident.blocking && ` · ${t("cases.incidents.notBlocking")}`}
            <div className="wt-value">{incident.message}</div>
          </li>
        ))}
      </ul>
      {progress.may_repair && instance.state === "error" && <FixData instance={instance} onChanged={onChanged} />}
    </section>
  );
}
