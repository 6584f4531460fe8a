// The signed-in user's notifications, newest first, each read or unread in words; mark one or all read.
import { useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { get, post } from "../api.js";
import { formatDateTime } from "../format.js";
import { Link } from "../router.jsx";
import { POLL_MS, announceRead } from "./unread.js";

export default function NotificationsPage() {
  const { t, i18n } = useTranslation();
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  const alive = useRef(true);

  const load = useCallback(async () => {
    try {
      const list = await get("/users/me/notifications?page_size=100");
      if (alive.current) {
        setItems(list);
        setError(null);
      }
    } catch (e) {
      if (alive.current) setError(t("app.loadFailed"));
    }
  }, [t]);

  useEffect(() => {
    alive.current = true;
    load();
    const timer = window.setInterval(load, POLL_MS);
    return () => {
      alive.current = false;
      window.clearInterval(timer);
    };
  }, [load]);

  const markRead = async (body) => {
    try {
      await post("/users/me/notifications/read", body);
    } catch (e) {
      setError(t("app.unexpected"));
    }
    announceRead();
    load();
  };

  const unread = (items || []).filter((n) => !n.read_at).length;
  return (
    <section aria-labelledby="notifications-title">
      <div className="d-flex flex-wrap align-items-center gap-2 mb-3">
        <h1 id="notifications-title" className="h4 mb-0 me-auto">{t("notifications.title")}</h1>
        <span data-testid="unread-summary">{t("notifications.unreadWords", { count: unread })}</span>
        <button type="button" className="btn btn-sm btn-outline-success" disabled={!unread}
                onClick={() => markRead({ all: true })}>
          {t("notifications.markAllRead")}
        </button>
      </div>
      {error && <div className="alert alert-warning" role="alert">{error}</div>}
      {items === null ? (
        <p className="text-muted">{t("app.loading")}</p>
      ) : items.length === 0 ? (
        <p className="text-muted" data-testid="notifications-empty">{t("notifications.empty")}</p>
      ) : (
        <ul className="list-group" data-testid="notifications">
          {items.map((n) => (
            <li key={n.id} data-notification-id={n.id} data-read={n.read_at ? "true" : "false"}
                className={`list-group-item d-flex flex-wrap gap-2 align-items-start${n.read_at ? "" : " list-group-item-warning"}`}>
              <span className={`badge ${n.read_at ? "bg-secondary" : "bg-danger"}`}>
                {n.read_at ? t("notifications.read") : t("notifications.unread")}
              </span>
              <div className="flex-grow-1">
                <div className={n.read_at ? "" : "fw-semibold"}>{n.text}</div>
                <div className="small text-muted">
                  {t(`notifications.kind.${n.kind === "task_overdue" ? "task_overdue" : "other"}`)} ·{" "}
                  {formatDateTime(n.created_at, i18n.language)}
                  {n.task_id && (
                    <>
                      {" · "}
                      <Link to={`/tasks/${n.task_id}`}>{t("notifications.openTask")}</Link>
                    </>
                  )}
                </div>
              </div>
              {!n.read_at && (
                <button type="button" className="btn btn-sm btn-outline-secondary" onClick={() => markRead({ ids: [n.id] })}>
                  {t("notifications.markRead")}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
