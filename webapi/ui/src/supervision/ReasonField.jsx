// The reason every supervisory action requires, with the server's message under it.
import { useTranslation } from "react-i18next";

export default function ReasonField({ id, value, onChange, error }) {
  const { t } = useTranslation();
  return (
    <div className="mb-2">
      <label htmlFor={id} className="form-label">
        {t("supervision.reason")}*
      </label>
      <textarea id={id} className={`form-control${error ? " is-invalid" : ""}`} rows={2} value={value}
                aria-describedby={error ? `${id}-error` : undefined} aria-invalid={Boolean(error)}
                onChange={(e) => onChange(e.target.value)} />
      {error && (
        <div id={`${id}-error`} className="invalid-feedback d-block" data-testid={`${id}-error`}>
          {error}
        </div>
      )}
    </div>
  );
}
