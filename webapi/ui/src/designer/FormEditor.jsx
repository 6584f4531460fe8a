// The form editor: a task form's JSON Schema (draft 2020-12) as text beside the live preview staff will
// see (the same rjsf form and validator as the task page). Forms are files of the deployment; a new
// one is named <process key>.<name>.json and can then be chosen in a user task's properties.
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import Form from "@rjsf/react-bootstrap";
import validator from "../validator.js";

const NEW_FORM = (title) => ({
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title,
  type: "object",
  required: ["note"],
  properties: { note: { type: "string", title: title, maxLength: 2000 } },
});

function parse(text) {
  try {
    const schema = JSON.parse(text);
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return { error: "object" };
    return { schema };
  } catch (error) {
    return { error: error.message };
  }
}

export default function FormEditor({ files, processKey, onChange }) {
  const { t } = useTranslation();
  const names = Object.keys(files).filter((name) => name.endsWith(".json")).sort();
  const [selected, setSelected] = useState(names[0] || "");
  const [newName, setNewName] = useState("");
  const [preview, setPreview] = useState({});
  const text = files[selected] ?? "";
  const parsed = useMemo(() => parse(text), [text]);

  const create = (event) => {
    event.preventDefault();
    const name = newName.trim().replace(/[^A-Za-z0-9_-]/g, "_");
    if (!name) return;
    const file = `${processKey}.${name}.json`;
    if (!(file in files)) onChange(file, `${JSON.stringify(NEW_FORM(newName.trim()), null, 2)}\n`);
    setSelected(file);
    setNewName("");
  };

  return (
    <div className="row g-3">
      <div className="col-lg-6">
        <div className="d-flex gap-2 mb-2 flex-wrap">
          <label className="visually-hidden" htmlFor="wt-form-file">{t("designer.forms.file")}</label>
          <select id="wt-form-file" className="form-select form-select-sm w-auto" value={selected}
                  onChange={(event) => setSelected(event.target.value)}>
            {names.map((name) => <option key={name} value={name}>{name}</option>)}
          </select>
          <form className="d-flex gap-1" onSubmit={create}>
            <label className="visually-hidden" htmlFor="wt-form-new">{t("designer.forms.newName")}</label>
            <input id="wt-form-new" className="form-control form-control-sm" value={newName}
                   placeholder={t("designer.forms.newName")} onChange={(event) => setNewName(event.target.value)} />
            <button type="submit" className="btn btn-sm btn-outline-success text-nowrap">{t("designer.forms.create")}</button>
          </form>
        </div>
        {selected && (
          <>
            <label className="form-label small" htmlFor="wt-form-schema">{t("designer.forms.schema")}</label>
            <textarea id="wt-form-schema" className="form-control font-monospace wt-schema" spellCheck={false}
                      value={text} onChange={(event) => onChange(selected, event.target.value)} />
            {parsed.error && (
              <div className="text-danger small mt-1" data-testid="form-json-error">
                {t("designer.forms.invalidJson")}: {parsed.error}
              </div>
            )}
          </>
        )}
      </div>
      <div className="col-lg-6">
        <h2 className="h6">{t("designer.forms.preview")}</h2>
        <div className="card card-body" data-testid="form-preview">
          {parsed.schema ? (
            <Form schema={parsed.schema} formData={preview} validator={validator} showErrorList={false}
                  onChange={(event) => setPreview(event.formData)} onSubmit={() => {}}>
              <button type="submit" className="btn btn-success" disabled>{t("task.complete")}</button>
            </Form>
          ) : <p className="text-muted mb-0">{t("designer.forms.noPreview")}</p>}
        </div>
      </div>
    </div>
  );
}
