// The designer area: processes and the BPMN modeler under /designer (see src/areas/README.md).
import zh from "./locales/zh-CN.json";
import en from "./locales/en.json";
import { designerPage, isDesigner } from "./routes.jsx";

export default {
  name: "designer",
  catalogues: { "zh-CN": zh, en },
  page: designerPage,
  nav: (user) => (isDesigner(user) ? [{ to: "/designer", label: "designer.nav" }] : []),
};
