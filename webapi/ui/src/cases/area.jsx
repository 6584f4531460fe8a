// The cases area: the case page at /cases/<instance id> (see src/areas/README.md).
import zh from "./locales/zh-CN.json";
import en from "./locales/en.json";
import { casePage } from "./routes.jsx";

export default {
  name: "cases",
  catalogues: { "zh-CN": zh, en },
  page: casePage,
  nav: () => [],
};
