// The navigation's unread count (GET /users/me/notifications/unread-count), polled every POLL_MS and
// refreshed when the notifications page marks some read. The count is said in words too.
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { get } from "../api.js";
import { POLL_MS, UNREAD_CHANGED } from "./unread.js";

export default function UnreadBadge() {
  const { t } = useTranslation();
  const [unread, setUnread] = useState(0);

  const load = useCallback(() => {
    get("/users/me/notifications/unread-count")
      .then((body) => setUnread(body.unread))
      .catch(() => {}); // the next poll tries again; a signed-out page unmounts the badge
  }, []);

  useEffect(() => {
    load();
    const timer = window.setInterval(load, POLL_MS);
    window.addEventListener(UNREAD_CHANGED, load);
    return () => {
      window.clearInterval(timer);
      window.removeEventListener(UNREAD_CHANGED, load);
    };
  }, [load]);

  if (!unread) return null;
  return (
    <span className="badge rounded-pill bg-danger ms-1" data-testid="unread-count">
      {unread}
      <span className="visually-hidden"> {t("notifications.unreadWords", { count: unread })}</span>
    </span>
  );
}
