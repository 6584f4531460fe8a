// Form pieces shared by the admin sections: a labelled field that shows the server's 422 error under
// itself, the mapping from a problem's `errors` to fields, and a confirm-first button.
import { useId, useState } from "react";
import { useTranslation } from "react-i18next";
import Modal from "react-bootstrap/Modal";
import { ApiError } from "../api.js";

const KNOWN = ["required", "too_long", "unknown_department", "format", "enum", "invalid", "invalid_character"];

// {field: message} from a 422 problem (JSON Pointers: "/departments/0" belongs to "departments");
// anything else (or an error without a field) under "" as one sentence for the whole form.
export function errorsOf(error, t) {
  if (!(error instanceof ApiError)) return { "": t("app.unexpected") };
  const found = {};
  for (const item of error.problem.errors || []) {
    const field = (item.field || "").split("/")[1] || "";
    const words = KNOWN.includes(item.code) ? t(`admin.error.${item.code}`) : item.message;
    found[field] = found[field] ? `${found[field]} ${words}` : words;
  }
  if (Object.keys(found).length === 0) {
    if (error.status === 409) found[""] = t("admin.error.conflict");
    else if (error.status === 403) found[""] = t("admin.error.forbidden");
    else if (error.status === 404) found[""] = t("admin.error.notFound");
    else found[""] = error.problem.detail || t("app.unexpected");
  }
  return found;
}

// A labelled input (or select, or any control given as `children(id, invalid)`) with its error below.
export function Field({ label, error, children, help }) {
  const id = useId();
  return (
    <div className="mb-2">
      <label htmlFor={id} className="form-label">
        {label}
      </label>
      {children(id, Boolean(error), error ? `${id}-error` : undefined)}
      {help && <div className="form-text">{help}</div>}
      {error && (
        <div id={`${id}-error`} className="invalid-feedback d-block" data-testid="field-error">
          {error}
        </div>
      )}
    </div>
  );
}

export function FormError({ errors }) {
  return errors[""] ? (
    <div className="alert alert-danger py-2" role="alert">
      {errors[""]}
    </div>
  ) : null;
}

// A button that asks first (a dialog naming what will happen), for destructive actions.
export function ConfirmButton({ label, question, onConfirm, className = "btn btn-sm btn-outline-danger" }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const confirm = async () => {
    setOpen(false);
    await onConfirm();
  };
  return (
    <>
      <button type="button" className={className} onClick={() => setOpen(true)}>
        {label}
      </button>
      <Modal show={open} onHide={() => setOpen(false)} centered>
        <Modal.Header closeButton closeLabel={t("admin.cancel")}>
          <Modal.Title className="h5">{t("admin.confirm.title")}</Modal.Title>
        </Modal.Header>
        <Modal.Body>{question}</Modal.Body>
        <Modal.Footer>
          <button type="button" className="btn btn-secondary" onClick={() => setOpen(false)}>
            {t("admin.cancel")}
          </button>
          <button type="button" className="btn btn-danger" onClick={confirm}>
            {label}
          </button>
        </Modal.Footer>
      </Modal>
    </>
  );
}
