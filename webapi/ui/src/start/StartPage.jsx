// Start a case: the processes the signed-in user may start (the engine decides:
// GET /process-definitions?startable=true), each with its start form. A started case is shown with its
// number and a link to its page, or the user goes back to the inbox.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { get } from "../api.js";
import { Link } from "../router.jsx";
import StartForm from "./StartForm.jsx";

export function processName(definition, language) {
  const english = language === "en" && definition.properties && definition.properties.nameEn;
  return english || definition.name || definition.key;
}

function Started({ instance, onAnother }) {
  const { t } = useTranslation();
  return (
    <div className="alert alert-success" role="status" data-testid="started">
      <p className="mb-2">{t("start.started", { number: instance.number })}</p>
      <div className="d-flex flex-wrap gap-2">
        <Link to={`/cases/${instance.id}`} className="btn btn-sm btn-success">
          {t("start.openCase", { number: instance.number })}
        </Link>
        <Link to="/" className="btn btn-sm btn-outline-success">
          {t("start.backToInbox")}
        </Link>
        <button type="button" className="btn btn-sm btn-outline-secondary" onClick={onAnother}>
          {t("start.another")}
        </button>
      </div>
    </div>
  );
}

export default function StartPage({ user }) {
  const { t, i18n } = useTranslation();
  const [definitions, setDefinitions] = useState(null);
  const [chosen, setChosen] = useState(null);
  const [started, setStarted] = useState(null);
  const [error, setError] = useState(null);

  useEffect(() => {
    get("/process-definitions?startable=true&page_size=200")
      .then((list) => {
        setDefinitions(list);
        if (list.length === 1) setChosen(list[0].key);
      })
      .catch(() => setError(t("app.unexpected")));
  }, [t]);

  if (error) return <div className="alert alert-danger" role="alert">{error}</div>;
  if (!definitions) return <p className="text-muted">{t("app.loading")}</p>;
  const definition = definitions.find((d) => d.key === chosen);

  return (
    <section aria-labelledby="start-title">
      <h1 id="start-title" className="h4 mb-3">
        {t("start.title")}
      </h1>
      {started && <Started instance={started} onAnother={() => setStarted(null)} />}
      {definitions.length === 0 && <p className="text-muted">{t("start.none")}</p>}
      {!started && definitions.length > 0 && (
        <div className="row g-3">
          <nav className="col-12 col-md-4" aria-label={t("start.processes")}>
            <h2 className="h6">{t("start.processes")}</h2>
            <div className="list-group">
              {definitions.map((d) => (
                <button key={d.key} type="button" aria-pressed={d.key === chosen}
                        className={`list-group-item list-group-item-action${d.key === chosen ? " active" : ""}`}
                        onClick={() => setChosen(d.key)}>
                  <span data-case-data>{processName(d, i18n.language)}</span>
                  <span className="d-block small">{d.key}</span>
                </button>
              ))}
            </div>
          </nav>
          <div className="col-12 col-md-8">
            {definition ? (
              <section className="card card-body" aria-label={t("start.form")}>
                <h2 className="h5" data-case-data>{processName(definition, i18n.language)}</h2>
                <StartForm key={definition.key} definition={definition} user={user} onStarted={setStarted} />
              </section>
            ) : (
              <p className="text-muted">{t("start.choose")}</p>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
