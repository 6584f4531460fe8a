// Departments: every department, and a form to add one (code, Chinese name, English name).
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { post } from "../api.js";
import { Field, FormError, errorsOf } from "./fields.jsx";
import useList from "./useList.js";

const EMPTY = { code: "", name: "", name_en: "" };

export default function Departments() {
  const { t } = useTranslation();
  const { items, failed, reload } = useList("/departments?page_size=200");
  const [draft, setDraft] = useState(EMPTY);
  const [errors, setErrors] = useState({});
  const [done, setDone] = useState(null);

  const submit = async (event) => {
    event.preventDefault();
    setDone(null);
    try {
      const created = await post("/departments", { ...draft, name_en: draft.name_en || null });
      setDraft(EMPTY);
      setErrors({});
      setDone(t("admin.departments.created", { code: created.code }));
      await reload();
    } catch (error) {
      const found = errorsOf(error, t);
      if (error.status === 409) setErrors({ code: t("admin.departments.taken") });
      else setErrors(found);
    }
  };
  const input = (name) => (id, invalid, describedBy) => (
    <input id={id} className={`form-control ${invalid ? "is-invalid" : ""}`} value={draft[name]}
           aria-describedby={describedBy} onChange={(e) => setDraft({ ...draft, [name]: e.target.value })} />
  );

  return (
    <div className="row g-4">
      <div className="col-lg-8">
        <h2 className="h5">{t("admin.departments.list")}</h2>
        {failed && <div className="alert alert-warning">{t("app.loadFailed")}</div>}
        {items === null ? (
          <p className="text-muted">{t("app.loading")}</p>
        ) : (
          <div className="table-responsive">
            <table className="table table-sm bg-white" data-testid="departments">
              <thead>
                <tr>
                  <th scope="col">{t("admin.departments.code")}</th>
                  <th scope="col">{t("admin.departments.name")}</th>
                  <th scope="col">{t("admin.departments.nameEn")}</th>
                </tr>
              </thead>
              <tbody>
                {items.map((d) => (
                  <tr key={d.code}>
                    <td data-case-data><code>{d.code}</code></td>
                    <td data-case-data>{d.name}</td>
                    <td data-case-data>{d.name_en || "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      <form className="col-lg-4" onSubmit={submit} noValidate aria-labelledby="department-new">
        <h2 className="h5" id="department-new">{t("admin.departments.new")}</h2>
        <FormError errors={errors} />
        <Field label={t("admin.departments.code")} error={errors.code} help={t("admin.departments.codeHelp")}>
          {input("code")}
        </Field>
        <Field label={t("admin.departments.name")} error={errors.name}>{input("name")}</Field>
        <Field label={t("admin.departments.nameEn")} error={errors.name_en}>{input("name_en")}</Field>
        <button type="submit" className="btn btn-success mt-2">{t("admin.departments.create")}</button>
        {done && <div className="alert alert-success py-2 mt-2" role="status">{done}</div>}
      </form>
    </div>
  );
}
