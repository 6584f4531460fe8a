// The navigation bar: the pages, the signed-in user's name, the language switch and sign-out.
import { useTranslation } from "react-i18next";
import { Link } from "../router.jsx";
import LanguageSwitch from "./LanguageSwitch.jsx";
import { AREAS } from "../areas/index.js";

export default function Nav({ user, onSignOut }) {
  const { t } = useTranslation();
  return (
    <nav className="navbar navbar-expand navbar-dark bg-success" aria-label={t("nav.label")}>
      <div className="container-xl flex-wrap gap-2">
        <Link to="/" className="navbar-brand">
          {t("app.name")}
        </Link>
        <ul className="navbar-nav me-auto">
          <li className="nav-item">
            <Link to="/" className="nav-link active">
              {t("nav.inbox")}
            </Link>
          </li>
          {AREAS.flatMap((area) => area.nav(user)).map(({ to, label, badge: Badge }) => (
            <li className="nav-item" key={to}>
              <Link to={to} className="nav-link">
                {t(label)}
                {Badge && <Badge user={user} />}
              </Link>
            </li>
          ))}
        </ul>
        <span className="navbar-text text-white me-2" data-testid="user-name">
          {user.display_name}
        </span>
        <LanguageSwitch className="me-2" />
        <button type="button" className="btn btn-sm btn-outline-light" onClick={onSignOut}>
          {t("nav.signOut")}
        </button>
      </div>
    </nav>
  );
}
