// The company area: /company, a company user's page (see src/areas/README.md). For a user whose only
// role is applicant it is also the landing page "/" (areas are tried before the inbox).
import zh from "./locales/zh-CN.json";
import en from "./locales/en.json";
import CompanyPage from "./CompanyPage.jsx";

const isApplicant = (user) => user.roles.includes("applicant");
const onlyApplicant = (user) => user.roles.length === 1 && isApplicant(user);

export default {
  name: "company",
  catalogues: { "zh-CN": zh, en },
  page: (path, user) =>
    (path === "/company" && isApplicant(user)) || (path === "/" && onlyApplicant(user)) ? (
      <CompanyPage user={user} />
    ) : null,
  nav: (user) => (isApplicant(user) ? [{ to: "/company", label: "company.nav" }] : []),
};
