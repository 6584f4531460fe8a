// The messages the case waits for (GET /process-instances/{id}/messages): the name, the case's
// correlation values and, for those who may record it (the API says who), the payload's form
// (rjsf from the payload's JSON Schema), sent with POST /messages naming the case.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, post } from "../api.js";
import { extraErrorsOf } from "../pages/TaskPage.jsx";
import ServerJudgedForm from "../ServerJudgedForm.jsx";
import { formatValue } from "./values.js";

// The server's errors point into the body (/payload/account_no); the form holds the payload itself.
function payloadErrors(problem) {
  const errors = (problem.errors || []).map((e) => ({ ...e, field: (e.field || "").replace(/^\/payload/, "") }));
  return extraErrorsOf({ errors });
}

function MessageForm({ instance, message, onSent }) {
  const { t } = useTranslation();
  const [formData, setFormData] = useState(undefined);
  const [extraErrors, setExtraErrors] = useState({});
  const [notice, setNotice] = useState(null);
  const [busy, setBusy] = useState(false);
  const send = async (payload) => {
    setBusy(true);
    setNotice(null);
    try {
      await post("/messages", { name: message.name, instance_id: instance.id, payload });
      setExtraErrors({});
      setNotice({ kind: "success", text: t("cases.messages.sent") });
      onSent();
    } catch (error) {
      const status = error instanceof ApiError ? error.status : 0;
      if (status === 422) setExtraErrors(payloadErrors(error.problem));
      const key = { 422: "invalid", 404: "notWaiting", 409: "notWaiting", 403: "forbidden" }[status];
      setNotice({ kind: status === 422 ? "warning" : "danger", text: key ? t(`cases.messages.${key}`) : t("app.unexpected") });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {notice && <div className={`alert alert-${notice.kind} py-1`} role="alert">{notice.text}</div>}
      <ServerJudgedForm schema={message.payload_schema} formData={formData} omitExtraData={false}
            extraErrors={extraErrors} disabled={busy} idPrefix={`message-${message.name}`}
            onChange={(event) => setFormData(event.formData)}
            onSubmit={(event) => send(event.formData || {})}>
        <button type="submit" className="btn btn-sm btn-primary" disabled={busy}>{t("cases.messages.send")}</button>
      </ServerJudgedForm>
    </>
  );
}

export default function Messages({ instance, messages, onSent }) {
  const { t, i18n } = useTranslation();
  if (!messages.length) return null;
  return (
    <section className="card card-body" aria-labelledby="case-messages-title" data-testid="case-messages">
      <h2 id="case-messages-title" className="h6">{t("cases.messages.title")}</h2>
      {messages.map((message) => (
        <div key={message.name} className="mb-2">
          <p className="mb-1">
            <strong>{message.name}</strong>
            {Object.entries(message.correlation).map(([key, value]) => (
              <span key={key} className="ms-2 small text-muted">
                {t("cases.messages.correlation", { key, value: formatValue(value, t, i18n.language) })}
              </span>
            ))}
          </p>
          {message.may_send ? <MessageForm instance={instance} message={message} onSent={onSent} />
            : <p className="small text-muted mb-0">{t("cases.messages.notYours")}</p>}
        </div>
      ))}
    </section>
  );
}
