// 退回: a supervisor sends an open step back to the earlier one the process names (the task view's
// send_back_to), with a required reason (POST /tasks/{id}/send-back). The server decides who may.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, post } from "../api.js";

export default function SendBack({ task, onSentBack }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const send = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await post(`/tasks/${task.id}/send-back`, { reason });
      onSentBack();
    } catch (e) {
      const status = e instanceof ApiError ? e.status : 0;
      setError(t(status === 422 ? "task.sendBack.invalid" : status === 409 ? "task.sendBack.conflict"
        : status === 403 ? "task.forbidden" : "app.unexpected"));
    } finally {
      setBusy(false);
    }
  };

  if (!open) {
    return (
      <button type="button" className="btn btn-outline-warning" onClick={() => setOpen(true)}>
        {t("task.sendBack.open")}
      </button>
    );
  }
  return (
    <form className="card card-body mb-3" onSubmit={send} aria-label={t("task.sendBack.open")}>
      <label htmlFor="send-back-reason" className="form-label">{t("task.sendBack.reason")}</label>
      <textarea id="send-back-reason" className="form-control mb-2" rows={2} required maxLength={2000}
                value={reason} onChange={(e) => setReason(e.target.value)} />
      {error && <div className="text-danger small mb-2" role="alert">{error}</div>}
      <div className="d-flex gap-2">
        <button type="submit" className="btn btn-warning" disabled={busy || !reason.trim()}>{t("task.sendBack.submit")}</button>
        <button type="button" className="btn btn-outline-secondary" onClick={() => setOpen(false)}>{t("task.sendBack.cancel")}</button>
      </div>
    </form>
  );
}
