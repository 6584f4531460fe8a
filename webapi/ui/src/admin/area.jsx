// The admin area of the web application (see src/areas/README.md): departments, users, tokens and the
// working-day calendar, for admins. The engine decides who may; the link is only shown to admins.
import zh from "./locales/zh-CN.json";
import en from "./locales/en.json";
import AdminPage, { SECTIONS } from "./AdminPage.jsx";

const isAdmin = (user) => (user.roles || []).includes("admin");

export default {
  name: "admin",
  catalogues: { "zh-CN": zh, en },
  page: (path, user) => {
    if (path === "/admin") return <AdminPage section={SECTIONS[0]} user={user} />;
    const match = path.match(/^\/admin\/([a-z]+)$/);
    return match && SECTIONS.includes(match[1]) ? <AdminPage section={match[1]} user={user} /> : null;
  },
  nav: (user) => (isAdmin(user) ? [{ to: "/admin", label: "admin.nav" }] : []),
};
