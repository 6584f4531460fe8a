// The notifications area: the signed-in user's notifications, and their unread count in the
// navigation (see src/areas/README.md).
import zh from "./locales/zh-CN.json";
import en from "./locales/en.json";
import NotificationsPage from "./NotificationsPage.jsx";
import UnreadBadge from "./UnreadBadge.jsx";

export default {
  name: "notifications",
  catalogues: { "zh-CN": zh, en },
  page: (path) => (path === "/notifications" ? <NotificationsPage /> : null),
  nav: () => [{ to: "/notifications", label: "notifications.nav", badge: UnreadBadge }],
};
