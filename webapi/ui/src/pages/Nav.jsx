// The navigation bar: the pages (the inbox with its counts), the signed-in user's name, the language
// switch and sign-out; below 992 px it folds behind a toggler button (and folds again once a link is
// followed: the click bubbles to the item, as Link keeps its own onClick).
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, usePath } from "../router.jsx";
import LanguageSwitch from "./LanguageSwitch.jsx";
import { AREAS } from "../areas/index.js";
import { useInboxCounts } from "./inboxTasks.js";

// The inbox's size and, in words, how many are overdue (colour is never the only carrier of meaning).
function InboxCount({ user }) {
  const { t } = useTranslation();
  const { counts } = useInboxCounts(user);
  if (counts === null) return null;
  return (
    <>
      {" "}
      <span className="badge rounded-pill bg-light text-dark" data-testid="nav-inbox-count">
        {counts.all}{counts.capped ? "+" : ""}
      </span>
      {counts.overdue > 0 && (
        <span className="badge rounded-pill bg-danger ms-1" data-testid="nav-inbox-overdue">
          {t("nav.overdue", { count: counts.overdue })}
        </span>
      )}
    </>
  );
}

export default function Nav({ user, onSignOut }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const path = usePath();
  const current = (to) => (to === "/" ? path === "/" || path.startsWith("/tasks/") : path.startsWith(to));
  const linkProps = (to) => ({ to, className: `nav-link ${current(to) ? "active" : ""}`,
                               "aria-current": current(to) ? "page" : undefined });
  const close = () => setOpen(false);
  return (
    <nav className="navbar navbar-expand-lg navbar-dark bg-success" aria-label={t("nav.label")}>
      <div className="container-xl">
        <span onClick={close}>
          <Link to="/" className="navbar-brand">
            {t("app.name")}
          </Link>
        </span>
        <button type="button" className="navbar-toggler" aria-controls="wt-navbar" aria-expanded={open}
                aria-label={t("nav.toggle")} onClick={() => setOpen(!open)}>
          <span className="navbar-toggler-icon" />
        </button>
        <div id="wt-navbar" className={`collapse navbar-collapse ${open ? "show" : ""}`}>
          <ul className="navbar-nav me-auto flex-wrap">
            <li className="nav-item" onClick={close}>
              <Link {...linkProps("/")}>
                {t("nav.inbox")}
                <InboxCount user={user} />
              </Link>
            </li>
            {AREAS.flatMap((area) => area.nav(user)).map(({ to, label, badge: Badge }) => (
              <li className="nav-item" key={to} onClick={close}>
                <Link {...linkProps(to)}>
                  {t(label)}
                  {Badge && <Badge user={user} />}
                </Link>
              </li>
            ))}
          </ul>
          <div className="d-flex flex-wrap align-items-center gap-2 py-2 py-lg-0">
            <span className="navbar-text text-white" data-testid="user-name" data-case-data>
              {user.display_name}
            </span>
            <LanguageSwitch />
            <button type="button" className="btn btn-sm btn-outline-light" onClick={onSignOut}>
              {t("nav.signOut")}
            </button>
          </div>
        </div>
      </div>
    </nav>
  );
}
