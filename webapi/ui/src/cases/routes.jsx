// The case page, loaded on demand (import()): bpmn-js's viewer stays out of the other pages' script.
// Its CSS is imported here, statically, because a lazily loaded chunk's CSS would not be loaded.
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "./cases.css";
import { Suspense, lazy } from "react";
import { useTranslation } from "react-i18next";

const CasePage = lazy(() => import("./CasePage.jsx"));

export const CASE_PATH = /^\/cases\/([0-9a-f-]{36})$/;

function Loading() {
  const { t } = useTranslation();
  return <p className="text-muted">{t("app.loading")}</p>;
}

// The page for ``path``, or null when the path is not a case page. Who may see the case is the API's call.
export function casePage(path, user) {
  const match = path.match(CASE_PATH);
  if (!match) return null;
  return (
    <Suspense fallback={<Loading />}>
      <CasePage instanceId={match[1]} user={user} />
    </Suspense>
  );
}
