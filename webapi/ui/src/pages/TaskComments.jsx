// The comments on a task's case (comment.added events of GET /process-instances/{id}/history), newest
// last, and a box to add one to this task (POST /tasks/{id}/comments).
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, get, post } from "../api.js";
import { formatDateTime } from "../format.js";

export default function TaskComments({ taskId, instanceId }) {
  const { t, i18n } = useTranslation();
  const [comments, setComments] = useState([]);
  const [text, setText] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    const events = await get(`/process-instances/${instanceId}/history?page_size=200`);
    setComments(events.filter((event) => event.action === "comment.added"));
  }, [instanceId]);

  useEffect(() => {
    load().catch(() => setError(t("task.comments.loadFailed")));
  }, [load, t]);

  const add = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await post(`/tasks/${taskId}/comments`, { text });
      setText("");
      await load();
    } catch (e) {
      setError(e instanceof ApiError && e.status === 422 ? t("task.comments.invalid") : t("app.unexpected"));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card card-body mt-3" aria-labelledby="task-comments-title">
      <h2 id="task-comments-title" className="h6">{t("task.comments.title")}</h2>
      {comments.length === 0 ? <p className="text-muted small">{t("task.comments.none")}</p> : (
        <ul className="list-unstyled small" data-testid="task-comments">
          {comments.map((c) => (
            <li key={c.id} className="border-bottom py-1">
              <span className="text-muted">{formatDateTime(c.at, i18n.language)} </span>
              <span data-case-data>{c.actor}</span>
              <div data-case-data className="wt-instructions">{(c.details || {}).text}</div>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={add}>
        <label htmlFor="task-comment" className="form-label small">{t("task.comments.add")}</label>
        <textarea id="task-comment" className="form-control mb-2" rows={2} maxLength={4000} required
                  value={text} onChange={(e) => setText(e.target.value)} />
        {error && <div className="text-danger small mb-2" role="alert">{error}</div>}
        <button type="submit" className="btn btn-sm btn-outline-success" disabled={busy || !text.trim()}>
          {t("task.comments.submit")}
        </button>
      </form>
    </section>
  );
}
