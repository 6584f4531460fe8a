// Role checkboxes and the department multi-select, shared by the create and edit forms.
import { useTranslation } from "react-i18next";

export const ROLES = ["staff", "supervisor", "designer", "auditor", "leader", "admin", "applicant", "bridge"];

export function RoleChoices({ value, onChange, error, idPrefix }) {
  const { t } = useTranslation();
  const toggle = (role) => onChange(value.includes(role) ? value.filter((r) => r !== role) : [...value, role]);
  return (
    <fieldset className="mb-2">
      <legend className="form-label fs-6 mb-1">{t("admin.users.roles")}</legend>
      <div className="d-flex flex-wrap gap-3">
        {ROLES.map((role) => (
          <div className="form-check" key={role}>
            <input className={`form-check-input ${error ? "is-invalid" : ""}`} type="checkbox"
                   id={`${idPrefix}-role-${role}`} checked={value.includes(role)} onChange={() => toggle(role)} />
            <label className="form-check-label" htmlFor={`${idPrefix}-role-${role}`}>
              {t(`admin.role.${role}`)}
            </label>
          </div>
        ))}
      </div>
      {error && <div className="invalid-feedback d-block" data-testid="field-error">{error}</div>}
    </fieldset>
  );
}

// departments: [{code, name, name_en}]; the option text is the name in the page's language.
export function DepartmentChoices({ id, invalid, describedBy, departments, value, onChange }) {
  const { i18n } = useTranslation();
  const label = (d) => (i18n.language === "en" ? d.name_en || d.name : d.name);
  return (
    <select id={id} multiple data-case-data size={Math.min(6, Math.max(2, departments.length))} aria-describedby={describedBy}
            className={`form-select ${invalid ? "is-invalid" : ""}`} value={value}
            onChange={(e) => onChange([...e.target.selectedOptions].map((o) => o.value))}>
      {departments.map((d) => (
        <option key={d.code} value={d.code}>
          {label(d)}
        </option>
      ))}
    </select>
  );
}
