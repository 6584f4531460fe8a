// API tokens: choose a user, see their tokens (never the secrets), issue one (its secret is shown this
// once) and revoke one after confirming.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { del, post } from "../api.js";
import { formatDateTime } from "../format.js";
import { ConfirmButton, Field, FormError, errorsOf } from "./fields.jsx";
import useList from "./useList.js";

function Issue({ user, onIssued }) {
  const { t } = useTranslation();
  const [name, setName] = useState("");
  const [days, setDays] = useState("90");
  const [errors, setErrors] = useState({});
  const [secret, setSecret] = useState(null);
  const submit = async (event) => {
    event.preventDefault();
    try {
      const token = await post(`/users/${user.id}/tokens`, {
        name: name || null, expires_in_days: days === "" ? null : Number(days),
      });
      setSecret(token.secret);
      setName("");
      setErrors({});
      onIssued();
    } catch (error) {
      setErrors(errorsOf(error, t));
    }
  };
  return (
    <form noValidate onSubmit={submit} aria-labelledby="token-new">
      <h2 className="h5" id="token-new">{t("admin.tokens.new")}</h2>
      <FormError errors={errors} />
      <Field label={t("admin.tokens.name")} error={errors.name}>
        {(id, invalid, d) => (
          <input id={id} className={`form-control ${invalid ? "is-invalid" : ""}`} value={name} aria-describedby={d}
                 onChange={(e) => setName(e.target.value)} />
        )}
      </Field>
      <Field label={t("admin.tokens.days")} error={errors.expires_in_days}>
        {(id, invalid, d) => (
          <input id={id} type="number" min="1" max="3650" value={days} aria-describedby={d}
                 className={`form-control ${invalid ? "is-invalid" : ""}`} onChange={(e) => setDays(e.target.value)} />
        )}
      </Field>
      <button type="submit" className="btn btn-success mt-2">{t("admin.tokens.create")}</button>
      {secret && (
        <div className="alert alert-info mt-3" role="status">
          <p className="mb-1">{t("admin.tokens.secretOnce")}</p>
          <code className="d-block text-break user-select-all" data-testid="token-secret">{secret}</code>
        </div>
      )}
    </form>
  );
}

function TokenList({ user, tokens, onRevoked }) {
  const { t, i18n } = useTranslation();
  const [error, setError] = useState(null);
  const revoke = async (token) => {
    try {
      await del(`/tokens/${token.id}`);
      setError(null);
      onRevoked();
    } catch (e) {
      setError(errorsOf(e, t)[""]);
    }
  };
  if (tokens === null) return <p className="text-muted">{t("app.loading")}</p>;
  if (tokens.length === 0) return <p className="text-muted">{t("admin.tokens.none")}</p>;
  const when = (value, fallback) => (value ? formatDateTime(value, i18n.language) : fallback);
  return (
    <>
      {error && <div className="alert alert-danger py-2">{error}</div>}
      <div className="table-responsive">
        <table className="table table-sm bg-white align-middle" data-testid="tokens">
          <thead>
            <tr>
              <th scope="col">{t("admin.tokens.name")}</th>
              <th scope="col">{t("admin.tokens.prefix")}</th>
              <th scope="col">{t("admin.tokens.state")}</th>
              <th scope="col">{t("admin.tokens.expires")}</th>
              <th scope="col">{t("admin.tokens.lastUsed")}</th>
              <th scope="col"><span className="visually-hidden">{t("admin.tokens.revoke")}</span></th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((token) => (
              <tr key={token.id}>
                <td data-case-data>{token.name || "—"}</td>
                <td><code>{token.prefix ? `wt_${token.prefix}…` : "—"}</code></td>
                <td>{t(`admin.tokens.states.${token.state}`)}</td>
                <td>{when(token.expires_at, t("admin.tokens.never"))}</td>
                <td>{when(token.last_used_at, "—")}</td>
                <td>
                  {token.state === "active" && (
                    <ConfirmButton label={t("admin.tokens.revoke")} onConfirm={() => revoke(token)}
                                   question={t("admin.tokens.revokeQuestion", {
                                     name: token.name || token.prefix || "", username: user.username })} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

export default function Tokens() {
  const { t } = useTranslation();
  const users = useList("/users?page_size=200").items || [];
  const [userId, setUserId] = useState("");
  const user = users.find((u) => u.id === userId);
  const { items: tokens, reload } = useList(user ? `/users/${user.id}/tokens?page_size=200` : null);
  return (
    <div className="row g-4">
      <div className="col-lg-8">
        <Field label={t("admin.tokens.user")}>
          {(id) => (
            <select id={id} className="form-select" value={userId} onChange={(e) => setUserId(e.target.value)}
                    data-case-data>
              <option value="">{t("admin.tokens.chooseUser")}</option>
              {users.map((u) => (
                <option key={u.id} value={u.id}>{`${u.username} (${u.display_name})`}</option>
              ))}
            </select>
          )}
        </Field>
        {user && <TokenList user={user} tokens={tokens} onRevoked={reload} />}
      </div>
      <div className="col-lg-4">{user && <Issue key={user.id} user={user} onIssued={reload} />}</div>
    </div>
  );
}
