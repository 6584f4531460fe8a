// The start area: /start, the processes the signed-in user may start with their start forms
// (see src/areas/README.md). The link shows for users the engine lets start something (may_start).
import zh from "./locales/zh-CN.json";
import en from "./locales/en.json";
import StartPage from "./StartPage.jsx";

export default {
  name: "start",
  catalogues: { "zh-CN": zh, en },
  page: (path, user) => (path === "/start" ? <StartPage user={user} /> : null),
  nav: (user) => (user.may_start ? [{ to: "/start", label: "start.nav" }] : []),
};
