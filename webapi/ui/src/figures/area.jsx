// The figures area: the ledger at /ledger and the figures at /figures (see src/areas/README.md).
// The pages are loaded on demand (import()): Chart.js stays out of the other pages' script.
import { Suspense, lazy } from "react";
import { useTranslation } from "react-i18next";
import zh from "./locales/zh-CN.json";
import en from "./locales/en.json";
import "./figures.css";

const LedgerPage = lazy(() => import("./LedgerPage.jsx"));
const FiguresPage = lazy(() => import("./FiguresPage.jsx"));

// Only to hide links that would answer 403: the API decides what each reader sees.
const LEDGER_READERS = ["staff", "supervisor", "auditor", "leader", "admin"];
const REPORT_READERS = ["supervisor", "auditor", "leader", "admin"];
const hasAny = (user, roles) => (user.roles || []).some((role) => roles.includes(role));

function Loading() {
  const { t } = useTranslation();
  return <p className="text-muted">{t("app.loading")}</p>;
}

function page(path) {
  if (path === "/ledger") return <LedgerPage />;
  if (path === "/figures") return <FiguresPage />;
  return null;
}

export default {
  name: "figures",
  catalogues: { "zh-CN": zh, en },
  page: (path) => {
    const found = page(path);
    return found && <Suspense fallback={<Loading />}>{found}</Suspense>;
  },
  nav: (user) => [
    ...(hasAny(user, LEDGER_READERS) ? [{ to: "/ledger", label: "figures.nav.ledger" }] : []),
    ...(hasAny(user, REPORT_READERS) ? [{ to: "/figures", label: "figures.nav.figures" }] : []),
  ],
};
