// The supervision area (督办): supervisors' overdue and due-soon work, escalations, and their actions
// (see src/areas/README.md).
import zh from "./locales/zh-CN.json";
import en from "./locales/en.json";
import SupervisionPage from "./SupervisionPage.jsx";

// Supervisors and admins (the API decides what each may see and do; this only hides the link).
export const supervises = (user) => Boolean(user && user.roles && (user.roles.includes("supervisor") || user.roles.includes("admin")));

export default {
  name: "supervision",
  catalogues: { "zh-CN": zh, en },
  page: (path) => (path === "/supervision" ? <SupervisionPage /> : null),
  nav: (user) => (supervises(user) ? [{ to: "/supervision", label: "supervision.nav" }] : []),
};
