// The figures area: the ledger (台账) at /ledger and the published figures at /figures
// (see src/areas/README.md). Both pages are loaded on demand; the figures page brings Chart.js.
import { Suspense, lazy } from "react";
import { useTranslation } from "react-i18next";
import zh from "./locales/zh-CN.json";
import en from "./locales/en.json";

const LedgerPage = lazy(() => import("./LedgerPage.jsx"));
const FiguresPage = lazy(() => import("./FiguresPage.jsx"));

// Who gets a navigation link; the API decides what each of them may read (a 403 is explained).
const READS_LEDGER = ["staff", "supervisor", "auditor", "leader", "admin"];
const READS_FIGURES = ["supervisor", "auditor", "leader", "admin"];
const has = (user, roles) => (user.roles || []).some((role) => roles.includes(role));

function Loading() {
  const { t } = useTranslation();
  return <p className="text-muted">{t("app.loading")}</p>;
}

function page(path, user) {
  let element = null;
  if (path === "/ledger" && has(user, READS_LEDGER)) element = <LedgerPage user={user} />;
  if (path === "/figures" && has(user, READS_FIGURES)) element = <FiguresPage user={user} />;
  return element && <Suspense fallback={<Loading />}>{element}</Suspense>;
}

export default {
  name: "figures",
  catalogues: { "zh-CN": zh, en },
  page,
  nav: (user) => [
    ...(has(user, READS_LEDGER) ? [{ to: "/ledger", label: "figures.nav.ledger" }] : []),
    ...(has(user, READS_FIGURES) ? [{ to: "/figures", label: "figures.nav.figures" }] : []),
  ],
};
