// Users: every user with roles, departments or company and whether active; a form to add one with a
// password; who is locked out of signing in (GET /sign-in-locks); choosing a user opens the editor
// (roles, departments, active, password, unlock).
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { post } from "../api.js";
import { formatDateTime } from "../format.js";
import { DepartmentChoices, RoleChoices } from "./choices.jsx";
import { Field, FormError, errorsOf } from "./fields.jsx";
import UserEditor from "./UserEditor.jsx";
import useList from "./useList.js";

const EMPTY = { username: "", display_name: "", password: "", roles: ["staff"], departments: [], company: "",
                credit_code: "" };

function NewUser({ departments, onCreated }) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState(EMPTY);
  const [errors, setErrors] = useState({});
  const applicant = draft.roles.includes("applicant");
  const set = (name) => (value) => setDraft({ ...draft, [name]: value });
  const input = (name, type = "text") => (id, invalid, describedBy) => (
    <input id={id} type={type} className={`form-control ${invalid ? "is-invalid" : ""}`} value={draft[name]}
           aria-describedby={describedBy} autoComplete={type === "password" ? "new-password" : "off"}
           onChange={(e) => set(name)(e.target.value)} />
  );
  const submit = async (event) => {
    event.preventDefault();
    const body = {
      username: draft.username,
      display_name: draft.display_name || null,
      password: draft.password || null,
      roles: draft.roles,
      departments: applicant ? [] : draft.departments,
      company: applicant ? draft.company || null : null,
      credit_code: applicant ? draft.credit_code || null : null,
    };
    try {
      const created = await post("/users", body);
      setDraft(EMPTY);
      setErrors({});
      onCreated(created);
    } catch (error) {
      setErrors(error.status === 409 ? { username: t("admin.users.taken") } : errorsOf(error, t));
    }
  };
  return (
    <form onSubmit={submit} noValidate aria-labelledby="user-new">
      <h2 className="h5" id="user-new">{t("admin.users.new")}</h2>
      <FormError errors={errors} />
      <Field label={t("admin.users.username")} error={errors.username}>{input("username")}</Field>
      <Field label={t("admin.users.displayName")} error={errors.display_name}>{input("display_name")}</Field>
      <Field label={t("admin.users.password")} error={errors.password} help={t("admin.users.passwordHelp")}>
        {input("password", "password")}
      </Field>
      <RoleChoices idPrefix="new" value={draft.roles} onChange={set("roles")} error={errors.roles} />
      {applicant ? (
        <>
          <Field label={t("admin.users.company")} error={errors.company}>{input("company")}</Field>
          <Field label={t("admin.users.creditCode")} error={errors.credit_code}>{input("credit_code")}</Field>
        </>
      ) : (
        <Field label={t("admin.users.departments")} error={errors.departments} help={t("admin.users.departmentsHelp")}>
          {(id, invalid, describedBy) => (
            <DepartmentChoices id={id} invalid={invalid} describedBy={describedBy} departments={departments}
                               value={draft.departments} onChange={set("departments")} />
          )}
        </Field>
      )}
      <button type="submit" className="btn btn-success mt-2">{t("admin.users.create")}</button>
    </form>
  );
}

export default function Users() {
  const { t, i18n } = useTranslation();
  const { items, failed, reload } = useList("/users?page_size=200");
  const departments = useList("/departments?page_size=200").items || [];
  const locks = useList("/sign-in-locks");
  const lockOf = Object.fromEntries((locks.items || []).filter((l) => l.user_id).map((l) => [l.user_id, l]));
  const [chosen, setChosen] = useState(null);
  const [done, setDone] = useState(null);

  const created = async (user) => {
    setDone(t("admin.users.created", { username: user.username }));
    await reload();
  };
  const saved = async (user) => {
    setChosen(user);
    await reload();
  };
  const named = Object.fromEntries(departments.map((d) => [d.code, i18n.language === "en" ? d.name_en || d.name : d.name]));
  const where = (u) => (u.company ? u.company.name : u.departments.map((c) => named[c] || c).join(", ")) || "—";

  return (
    <div className="row g-4">
      <div className="col-lg-8">
        <h2 className="h5">{t("admin.users.list")}</h2>
        {done && <div className="alert alert-success py-2" role="status">{done}</div>}
        {failed && <div className="alert alert-warning">{t("app.loadFailed")}</div>}
        {items === null ? (
          <p className="text-muted">{t("app.loading")}</p>
        ) : (
          <div className="table-responsive">
            <table className="table table-sm table-hover bg-white align-middle" data-testid="users">
              <thead>
                <tr>
                  <th scope="col">{t("admin.users.username")}</th>
                  <th scope="col">{t("admin.users.displayName")}</th>
                  <th scope="col">{t("admin.users.roles")}</th>
                  <th scope="col">{t("admin.users.where")}</th>
                  <th scope="col">{t("admin.users.state")}</th>
                  <th scope="col"><span className="visually-hidden">{t("admin.users.edit")}</span></th>
                </tr>
              </thead>
              <tbody>
                {items.map((u) => (
                  <tr key={u.id} data-username={u.username}>
                    <td data-case-data>{u.username}</td>
                    <td data-case-data>{u.display_name}</td>
                    <td>{u.roles.map((r) => t(`admin.role.${r}`)).join(", ")}</td>
                    <td data-case-data>{where(u)}</td>
                    <td>
                      <span className={`badge ${u.active ? "bg-success" : "bg-secondary"}`}>
                        {t(u.active ? "admin.users.active" : "admin.users.inactive")}
                      </span>
                      {lockOf[u.id] && (
                        <span className="badge bg-warning text-dark ms-1" data-testid="locked">
                          {t("admin.users.lockedUntil", { time: formatDateTime(lockOf[u.id].locked_until, i18n.language) })}
                        </span>
                      )}
                    </td>
                    <td>
                      <button type="button" className="btn btn-sm btn-outline-success" onClick={() => setChosen(u)}
                              aria-label={t("admin.users.editOne", { username: u.username })}>
                        {t("admin.users.edit")}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      <div className="col-lg-4">
        {chosen ? (
          <UserEditor key={chosen.id} user={chosen} departments={departments} onSaved={saved}
                      lock={lockOf[chosen.id]} onUnlocked={locks.reload}
                      onClose={() => setChosen(null)} />
        ) : (
          <NewUser departments={departments} onCreated={created} />
        )}
      </div>
    </div>
  );
}
