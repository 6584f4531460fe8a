// One process's start form: its JSON Schema rendered by rjsf, plus what the start call may need beside
// the variables (the company a case is opened for, the owning department, a business key). The server
// judges the data (rjsf's noValidate): its 422 errors are shown next to their fields, the data kept.
// Also used by the company's page to raise a problem.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, get, post } from "../api.js";
import ServerJudgedForm from "../ServerJudgedForm.jsx";
import { extraErrorsOf } from "../pages/TaskPage.jsx";

const VARIABLES = "/variables";
const OWN_FIELDS = ["/applicant_id", "/department", "/business_key"]; // shown under their inputs

// The 422's errors split: those under /variables for rjsf, the others by field (/applicant_id ...).
function splitErrors(problem) {
  const form = [];
  const fields = {};
  for (const item of problem.errors || []) {
    const field = item.field || "";
    if (field === VARIABLES || field.startsWith(VARIABLES + "/")) {
      form.push({ ...item, field: field.slice(VARIABLES.length) });
    } else {
      fields[field] = [...(fields[field] || []), item.message];
    }
  }
  return { form: extraErrorsOf({ errors: form }), fields };
}

function Field({ id, label, errors, children }) {
  return (
    <div className="mb-3">
      <label htmlFor={id} className="form-label">
        {label}
      </label>
      {children}
      {(errors || []).map((message) => (
        <div key={message} className="invalid-feedback d-block">
          {message}
        </div>
      ))}
    </div>
  );
}

export default function StartForm({ definition, user, onStarted, submitLabel, initialData }) {
  const { t, i18n } = useTranslation();
  const isApplicant = user.roles.includes("applicant");
  const askApplicant = definition.needs_applicant && !isApplicant;
  const askDepartment = !isApplicant && user.departments.length > 1;
  const [formData, setFormData] = useState(initialData || {});
  const [extraErrors, setExtraErrors] = useState({});
  const [fieldErrors, setFieldErrors] = useState({});
  const [applicants, setApplicants] = useState(null);
  const [applicant, setApplicant] = useState("");
  const [department, setDepartment] = useState(user.departments[0] || "");
  const [departmentNames, setDepartmentNames] = useState({});
  const [businessKey, setBusinessKey] = useState("");
  const [message, setMessage] = useState(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!askApplicant) return;
    get("/applicants?page_size=200")
      .then(setApplicants)
      .catch(() => setApplicants([]));
  }, [askApplicant]);

  useEffect(() => {
    if (!askDepartment) return;
    get("/departments?page_size=200")
      .then((list) => setDepartmentNames(Object.fromEntries(list.map((d) => [d.code, d]))))
      .catch(() => {});
  }, [askDepartment]);
  const departmentLabel = (code) => {
    const found = departmentNames[code];
    return (found && (i18n.language === "en" ? found.name_en || found.name : found.name)) || code;
  };

  const submit = async (variables) => {
    setBusy(true);
    setMessage(null);
    const body = { variables };
    if (askApplicant && applicant) body.applicant_id = applicant;
    if (askDepartment && department) body.department = department;
    if (!isApplicant && businessKey.trim()) body.business_key = businessKey.trim();
    try {
      const started = await post(`/process-definitions/key/${encodeURIComponent(definition.key)}/start`, body);
      setExtraErrors({});
      setFieldErrors({});
      setFormData(initialData || {});
      setBusinessKey("");
      onStarted(started);
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) {
        const { form, fields } = splitErrors(error.problem);
        setExtraErrors(form);
        setFieldErrors(fields);
        const other = Object.entries(fields).filter(([field]) => !OWN_FIELDS.includes(field));
        const details = other.flatMap(([, messages]) => messages).join(" ");
        setMessage({ kind: "warning", text: [t("start.invalid"), details].filter(Boolean).join(" ") });
      } else if (error instanceof ApiError && error.status === 409) {
        setMessage({ kind: "danger", text: t("start.conflict") });
      } else if (error instanceof ApiError && error.status === 403) {
        setMessage({ kind: "danger", text: t("start.forbidden") });
      } else {
        setMessage({ kind: "danger", text: t("app.unexpected") });
      }
    } finally {
      setBusy(false);
    }
  };

  const id = (name) => `start-${definition.key}-${name}`;
  const companyOf = (a) => (a.company ? `${a.company.name} · ${a.display_name}` : a.display_name);
  return (
    <div>
      {message && (
        <div className={`alert alert-${message.kind}`} role="alert" data-testid="start-message">
          {message.text}
        </div>
      )}
      {askApplicant && (
        <Field id={id("applicant")} label={t("start.applicant")} errors={fieldErrors["/applicant_id"]}>
          <select id={id("applicant")} className={`form-select${fieldErrors["/applicant_id"] ? " is-invalid" : ""}`}
                  value={applicant} disabled={busy} onChange={(e) => setApplicant(e.target.value)}>
            <option value="">{applicants === null ? t("app.loading") : t("start.chooseApplicant")}</option>
            {(applicants || []).map((a) => (
              <option key={a.id} value={a.id}>
                {companyOf(a)}
              </option>
            ))}
          </select>
        </Field>
      )}
      {askDepartment && (
        <Field id={id("department")} label={t("start.department")} errors={fieldErrors["/department"]}>
          <select id={id("department")} className="form-select" value={department} disabled={busy}
                  onChange={(e) => setDepartment(e.target.value)}>
            {user.departments.map((code) => (
              <option key={code} value={code}>
                {departmentLabel(code)}
              </option>
            ))}
          </select>
        </Field>
      )}
      {!isApplicant && (
        <Field id={id("business-key")} label={t("start.businessKey")} errors={fieldErrors["/business_key"]}>
          <input id={id("business-key")} className="form-control" value={businessKey} maxLength={255}
                 disabled={busy} onChange={(e) => setBusinessKey(e.target.value)} />
          <div className="form-text">{t("start.businessKeyHelp")}</div>
        </Field>
      )}
      {/* the shipped form's own words are the process's, like case data */}
      <div data-case-data>
        <ServerJudgedForm
          schema={definition.start_form || { type: "object" }}
          formData={formData}
          extraErrors={extraErrors}
          disabled={busy}
          idPrefix={`root-${definition.key}`}
          onChange={(event) => setFormData(event.formData)}
          onSubmit={(event) => submit(event.formData || {})}
        >
          <button type="submit" className="btn btn-success" disabled={busy}>
            {submitLabel || t("start.submit")}
          </button>
        </ServerJudgedForm>
      </div>
    </div>
  );
}
