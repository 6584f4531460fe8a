// The admin page: a tab per section (departments, users, tokens, calendar), each at /admin/<section>.
import { useTranslation } from "react-i18next";
import { Link } from "../router.jsx";
import Departments from "./Departments.jsx";
import Users from "./Users.jsx";
import Tokens from "./Tokens.jsx";
import Calendar from "./Calendar.jsx";

export const SECTIONS = ["departments", "users", "tokens", "calendar"];
const PAGES = { departments: Departments, users: Users, tokens: Tokens, calendar: Calendar };

export default function AdminPage({ section, user }) {
  const { t } = useTranslation();
  const Section = PAGES[section];
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title" className="h4 mb-3">
        {t("admin.title")}
      </h1>
      <ul className="nav nav-tabs mb-3 flex-wrap" aria-label={t("admin.sections")}>
        {SECTIONS.map((name) => (
          <li className="nav-item" key={name}>
            <Link to={`/admin/${name}`} className={`nav-link ${name === section ? "active" : ""}`}
                  aria-current={name === section ? "page" : undefined}>
              {t(`admin.${name}.tab`)}
            </Link>
          </li>
        ))}
      </ul>
      <Section user={user} />
    </section>
  );
}
