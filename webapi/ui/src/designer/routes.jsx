// The designer's pages under /designer, for users with the designer (or admin) role. They are loaded on
// demand (import()): bpmn-js, its properties panel and dmn-js stay out of the other pages' script.
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css";
import "@bpmn-io/properties-panel/dist/assets/properties-panel.css";
import "dmn-js/dist/assets/dmn-js-shared.css";
import "dmn-js/dist/assets/dmn-js-drd.css";
import "dmn-js/dist/assets/dmn-js-decision-table.css";
import "dmn-js/dist/assets/dmn-js-decision-table-controls.css";
import "dmn-js/dist/assets/dmn-js-literal-expression.css";
import "dmn-js/dist/assets/dmn-font/css/dmn-embedded.css";
import "./designer.css";
import { Suspense, lazy } from "react";
import { useTranslation } from "react-i18next";

const ProcessesPage = lazy(() => import("./ProcessesPage.jsx"));
const ModelerPage = lazy(() => import("./ModelerPage.jsx"));

export const isDesigner = (user) => (user.roles || []).some((role) => role === "designer" || role === "admin");

function Loading() {
  const { t } = useTranslation();
  return <p className="text-muted">{t("app.loading")}</p>;
}

// The page for ``path``, or null when the path is not a designer page.
export function designerPage(path, user) {
  if (!path.startsWith("/designer") || !isDesigner(user)) return null;
  const version = path.match(/^\/designer\/processes\/([0-9a-f-]{36})$/);
  const page = version ? <ModelerPage definitionId={version[1]} /> : <ProcessesPage />;
  return <Suspense fallback={<Loading />}>{page}</Suspense>;
}
