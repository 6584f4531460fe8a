// For auditors: the case's audit chain checked by the server (GET /process-instances/{id}/audit/verify),
// said in words: intact with its event count, or where it breaks and why.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { get } from "../api.js";

export default function ChainCheck({ instanceId, history }) {
  const { t } = useTranslation();
  const [result, setResult] = useState(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    setFailed(false);
    get(`/process-instances/${instanceId}/audit/verify`).then(setResult).catch(() => setFailed(true));
  }, [instanceId, history]);
  let body;
  if (failed) body = <p className="text-danger mb-0">{t("cases.chain.unavailable")}</p>;
  else if (!result) body = <p className="text-muted mb-0">{t("app.loading")}</p>;
  else if (result.valid) {
    body = <p className="mb-0 text-success" data-testid="chain-result">✔ {t("cases.chain.valid", { n: result.events })}</p>;
  } else {
    const broken = result.first_broken || {};
    body = (
      <p className="mb-0 text-danger" data-testid="chain-result">
        ✘ {t("cases.chain.broken", { seq: broken.seq, reason: broken.reason })}
      </p>
    );
  }
  return (
    <section className="card card-body" aria-labelledby="case-chain-title">
      <h2 id="case-chain-title" className="h6">{t("cases.chain.title")}</h2>
      {body}
    </section>
  );
}
