// The notifications area of the web application (see src/areas/README.md).
import zh from "./locales/zh-CN.json";
import en from "./locales/en.json";

export default {
  name: "notifications",
  catalogues: { "zh-CN": zh, en },
  page: () => null,
  nav: () => [],
};
