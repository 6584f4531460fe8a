// The sign-in page: username and password; wrong password and lock-out answer the same 401.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, post } from "../api.js";
import LanguageSwitch from "./LanguageSwitch.jsx";

export default function SignIn({ onSignedIn }) {
  const { t } = useTranslation();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await post("/session", { username, password }));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setError(t("signIn.failed"));
      else if (e instanceof ApiError && e.status === 422) setError(t("signIn.incomplete"));
      else setError(t("app.unexpected"));
      setBusy(false);
    }
  };

  return (
    <div className="container py-5 wt-narrow">
      <div className="d-flex justify-content-between align-items-center mb-4">
        <h1 className="h3 mb-0">{t("app.name")}</h1>
        <div className="bg-success rounded p-1">
          <LanguageSwitch />
        </div>
      </div>
      <form className="card card-body shadow-sm" onSubmit={submit} noValidate>
        <h2 className="h5 mb-3">{t("signIn.title")}</h2>
        {error && (
          <div className="alert alert-danger" role="alert">
            {error}
          </div>
        )}
        <div className="mb-3">
          <label htmlFor="username" className="form-label">
            {t("signIn.username")}
          </label>
          <input id="username" className="form-control" autoComplete="username" value={username}
                 onChange={(e) => setUsername(e.target.value)} required />
        </div>
        <div className="mb-3">
          <label htmlFor="password" className="form-label">
            {t("signIn.password")}
          </label>
          <input id="password" type="password" className="form-control" autoComplete="current-password"
                 value={password} onChange={(e) => setPassword(e.target.value)} required />
        </div>
        <button type="submit" className="btn btn-success w-100" disabled={busy}>
          {t("signIn.submit")}
        </button>
      </form>
    </div>
  );
}
