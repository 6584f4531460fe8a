// The company's page (role applicant): raise a problem with enterprise_problem's start form, follow
// every case of the company in plain words, answer the steps waiting for it and rate the result.
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { get } from "../api.js";
import StartForm from "../start/StartForm.jsx";
import CaseProgress from "./CaseProgress.jsx";

export const PROBLEM_PROCESS = "enterprise_problem";
const POLL_MS = 15000;

// What the start form asks that the company's record already says (its name and credit code).
function knownFields(definition, user) {
  const fields = (definition.start_form && definition.start_form.properties) || {};
  const known = {};
  if (user.company && "company_name" in fields) known.company_name = user.company.name;
  if (user.company && user.company.credit_code && "credit_code" in fields) known.credit_code = user.company.credit_code;
  return known;
}

export default function CompanyPage({ user }) {
  const { t } = useTranslation();
  const [cases, setCases] = useState(null);
  const [problem, setProblem] = useState(null);
  const [raised, setRaised] = useState(null);
  const [error, setError] = useState(null);

  const load = useCallback(() => {
    return get("/process-instances?sort=-started_at&page_size=100")
      .then((list) => {
        setCases(list);
        setError(null);
      })
      .catch(() => setError(t("app.loadFailed")));
  }, [t]);

  useEffect(() => {
    load();
    get(`/process-definitions?startable=true&key=${PROBLEM_PROCESS}`)
      .then((list) => setProblem(list[0] || null))
      .catch(() => setProblem(null));
    const timer = window.setInterval(load, POLL_MS);
    return () => window.clearInterval(timer);
  }, [load]);

  const onRaised = (instance) => {
    setRaised(instance);
    load();
  };

  const company = user.company ? user.company.name : user.display_name;
  const waiting = (cases || []).filter((c) => (c.current_steps || []).some((s) => s.with_applicant));
  return (
    <section aria-labelledby="company-title">
      <h1 id="company-title" className="h4 mb-1">
        {t("company.title")}
      </h1>
      <p className="text-muted mb-3" data-case-data>{company}</p>
      <div className="row g-3">
        <div className="col-12 col-lg-7">
          <h2 className="h5">{t("company.myCases")}</h2>
          {error && <div className="alert alert-warning" role="alert">{error}</div>}
          {waiting.length > 0 && (
            <div className="alert alert-info" role="status" data-testid="waiting-count">
              {t("company.waitingCount", { n: waiting.length })}
            </div>
          )}
          {cases === null && !error && <p className="text-muted">{t("app.loading")}</p>}
          {cases && cases.length === 0 && <p className="text-muted">{t("company.noCases")}</p>}
          {(cases || []).map((instance) => (
            <CaseProgress key={instance.id} instance={instance} />
          ))}
        </div>
        {problem && (
          <div className="col-12 col-lg-5">
            <section className="card card-body" aria-labelledby="raise-title">
              <h2 id="raise-title" className="h5">
                {t("company.raise")}
              </h2>
              <p className="small text-muted">{t("company.raiseHelp")}</p>
              {raised && (
                <div className="alert alert-success" role="status" data-testid="raised">
                  {t("company.raised", { number: raised.number })}
                </div>
              )}
              <StartForm definition={problem} user={user} onStarted={onRaised} submitLabel={t("company.submit")}
                         initialData={knownFields(problem, user)} />
            </section>
          </div>
        )}
      </div>
    </section>
  );
}
