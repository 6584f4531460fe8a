// Case data for people: a value in words (yes/no, numbers per locale, text as it is, lists and
// objects as compact JSON), and a department's or process's name in the page's language.
export function formatValue(value, t, language) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? t("cases.value.yes") : t("cases.value.no");
  if (typeof value === "number") return new Intl.NumberFormat(language).format(value);
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

export function departmentName(departments, code, language) {
  const found = departments[code];
  if (!found) return code || "—";
  return language === "en" ? found.name_en || found.name : found.name;
}

// Roles as the page needs them: only to decide which panels to offer; the API still decides.
export const hasRole = (user, ...roles) => (user.roles || []).some((role) => roles.includes(role));
