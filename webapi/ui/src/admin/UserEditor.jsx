// One user's editor: roles, departments (or company) and active, a new password, and lifting a
// sign-in lock-out. Deactivating (which revokes the user's tokens) asks first.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { call, post } from "../api.js";
import { formatDateTime } from "../format.js";
import { DepartmentChoices, RoleChoices } from "./choices.jsx";
import { ConfirmButton, Field, FormError, errorsOf } from "./fields.jsx";

const patch = (path, body) => call("PATCH", path, body);

function Membership({ user, departments, onSaved }) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState({ roles: user.roles, departments: user.departments, active: user.active });
  const [errors, setErrors] = useState({});
  const [done, setDone] = useState(false);
  const applicant = draft.roles.includes("applicant");
  const save = async () => {
    setDone(false);
    try {
      const body = { roles: draft.roles, active: draft.active };
      if (!applicant) body.departments = draft.departments;
      const saved = await patch(`/users/${user.id}`, body);
      setErrors({});
      setDone(true);
      onSaved(saved);
    } catch (error) {
      setErrors(errorsOf(error, t));
    }
  };
  const deactivating = user.active && !draft.active;
  return (
    <form noValidate onSubmit={(e) => { e.preventDefault(); save(); }} className="mb-4">
      <FormError errors={errors} />
      <RoleChoices idPrefix="edit" value={draft.roles} onChange={(roles) => setDraft({ ...draft, roles })}
                   error={errors.roles} />
      {!applicant && (
        <Field label={t("admin.users.departments")} error={errors.departments} help={t("admin.users.departmentsHelp")}>
          {(id, invalid, describedBy) => (
            <DepartmentChoices id={id} invalid={invalid} describedBy={describedBy} departments={departments}
                               value={draft.departments}
                               onChange={(codes) => setDraft({ ...draft, departments: codes })} />
          )}
        </Field>
      )}
      <div className="form-check mb-2">
        <input className="form-check-input" type="checkbox" id="edit-active" checked={draft.active}
               onChange={(e) => setDraft({ ...draft, active: e.target.checked })} />
        <label className="form-check-label" htmlFor="edit-active">{t("admin.users.activeLabel")}</label>
      </div>
      {deactivating ? (
        <ConfirmButton label={t("admin.users.save")} className="btn btn-danger"
                       question={t("admin.users.deactivateQuestion", { username: user.username })} onConfirm={save} />
      ) : (
        <button type="submit" className="btn btn-success">{t("admin.users.save")}</button>
      )}
      {done && <div className="alert alert-success py-2 mt-2" role="status">{t("admin.users.saved")}</div>}
    </form>
  );
}

function Password({ user }) {
  const { t } = useTranslation();
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState({});
  const [done, setDone] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setDone(false);
    try {
      await patch(`/users/${user.id}`, { password });
      setPassword("");
      setErrors({});
      setDone(true);
    } catch (error) {
      setErrors(errorsOf(error, t));
    }
  };
  return (
    <form noValidate onSubmit={submit} className="mb-4" aria-labelledby="user-password">
      <h3 className="h6" id="user-password">{t("admin.users.setPassword")}</h3>
      <FormError errors={errors} />
      <Field label={t("admin.users.newPassword")} error={errors.password}>
        {(id, invalid, describedBy) => (
          <input id={id} type="password" autoComplete="new-password" value={password} aria-describedby={describedBy}
                 className={`form-control ${invalid ? "is-invalid" : ""}`} onChange={(e) => setPassword(e.target.value)} />
        )}
      </Field>
      <button type="submit" className="btn btn-outline-success">{t("admin.users.setPassword")}</button>
      {done && <div className="alert alert-success py-2 mt-2" role="status">{t("admin.users.passwordSet")}</div>}
    </form>
  );
}

function Unlock({ user, lock, onUnlocked }) {
  const { t, i18n } = useTranslation();
  const [message, setMessage] = useState(null);
  const unlock = async () => {
    try {
      await post(`/users/${user.id}/unlock`);
      setMessage({ ok: true, text: t("admin.users.unlocked") });
      onUnlocked();
    } catch (error) {
      setMessage({ ok: false, text: errorsOf(error, t)[""] });
    }
  };
  return (
    <div className="mb-2">
      <h3 className="h6">{t("admin.users.unlock")}</h3>
      <p className="small text-muted">{t("admin.users.unlockHelp")}</p>
      <p data-testid="lock-state">
        {lock
          ? t("admin.users.lockedUntil", { time: formatDateTime(lock.locked_until, i18n.language) })
          : t("admin.users.notLocked")}
      </p>
      <button type="button" className="btn btn-outline-secondary" onClick={unlock} disabled={!lock}>{t("admin.users.unlock")}</button>
      {message && (
        <div className={`alert ${message.ok ? "alert-success" : "alert-danger"} py-2 mt-2`} role="status">
          {message.text}
        </div>
      )}
    </div>
  );
}

export default function UserEditor({ user, departments, lock, onSaved, onUnlocked, onClose }) {
  const { t } = useTranslation();
  return (
    <section aria-labelledby="user-edit" data-testid="user-editor">
      <div className="d-flex align-items-center gap-2 mb-2">
        <h2 className="h5 mb-0 me-auto" id="user-edit">
          {t("admin.users.editing")} <span data-case-data>{user.display_name} ({user.username})</span>
        </h2>
        <button type="button" className="btn btn-sm btn-outline-secondary text-nowrap" onClick={onClose}>
          {t("admin.users.newInstead")}
        </button>
      </div>
      <Membership user={user} departments={departments} onSaved={onSaved} />
      <Password user={user} />
      <Unlock user={user} lock={lock} onUnlocked={onUnlocked} />
    </section>
  );
}
