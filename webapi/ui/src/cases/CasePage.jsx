// The case page: the diagram with each step's state, the timeline, the departments, deadlines and
// data, comments, incidents (fix data and retry, for supervisors), the messages the case waits for
// and, for auditors, the audit chain's verification. Everything comes from the public API, which
// also decides what the reader may see (a 404 or 403 is explained in words).
import { Suspense, lazy, useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, get } from "../api.js";
import { formatDateTime } from "../format.js";
import { Link } from "../router.jsx";
import CaseFacts from "./CaseFacts.jsx";
import ChainCheck from "./ChainCheck.jsx";
import { DataLabels, labelMap } from "./dataLabels.js";
import Incidents from "./Incidents.jsx";
import Messages from "./Messages.jsx";
import Timeline from "./Timeline.jsx";
import { hasRole } from "./values.js";

const CaseDiagram = lazy(() => import("./CaseDiagram.jsx"));
const HISTORY_PAGE = 200;

// Every event of the case's timeline, page after page (the API pages at most 200 at a time).
async function wholeHistory(instanceId) {
  const events = [];
  for (let page = 1; ; page += 1) {
    const batch = await get(`/process-instances/${instanceId}/history?page=${page}&page_size=${HISTORY_PAGE}`);
    events.push(...batch);
    if (batch.length < HISTORY_PAGE) return events;
  }
}

function processName(definition, instance, language) {
  const english = definition && (definition.properties || {}).nameEn;
  return (language === "en" && english) || instance.process_name || instance.key;
}

export default function CasePage({ instanceId, user }) {
  const { t, i18n } = useTranslation();
  const [instance, setInstance] = useState(null);
  const [progress, setProgress] = useState(null);
  const [history, setHistory] = useState(null);
  const [messages, setMessages] = useState([]);
  const [steps, setSteps] = useState({});
  const [names, setNames] = useState({}); // element id -> its name in the diagram
  const [definition, setDefinition] = useState(null);
  const [departments, setDepartments] = useState({});
  const [failure, setFailure] = useState(null);
  const [labels, setLabels] = useState(() => labelMap([]));

  const load = useCallback(async () => {
    const loaded = await get(`/process-instances/${instanceId}`);
    const [reached, events, waiting, tasks] = await Promise.all([
      get(`/process-instances/${instanceId}/progress`),
      wholeHistory(instanceId),
      get(`/process-instances/${instanceId}/messages`),
      get(`/tasks?instance_id=${instanceId}&page_size=200`),
    ]);
    setInstance(loaded);
    setProgress(reached);
    setSteps(Object.fromEntries(tasks.map((task) => [task.id, task])));
    setHistory(events);
    setMessages(waiting);
  }, [instanceId]);

  useEffect(() => {
    setFailure(null);
    load().catch((error) => {
      if (error instanceof ApiError && error.status === 404) setFailure(t("cases.notFound"));
      else if (error instanceof ApiError && error.status === 403) setFailure(t("cases.forbidden"));
      else setFailure(t("app.unexpected"));
    });
  }, [load, t]);

  useEffect(() => {
    get("/departments?page_size=200")
      .then((list) => setDepartments(Object.fromEntries(list.map((d) => [d.code, d]))))
      .catch(() => {});
  }, []);

  // the case view names the process; only its English name (nameEn) needs the definition
  const definitionId = instance && i18n.language === "en" ? instance.definition_id : null;
  useEffect(() => {
    if (!definitionId) return;
    get(`/process-definitions/${definitionId}`).then(setDefinition).catch(() => setDefinition(null));
  }, [definitionId]);

  // the forms' titles for the case data: per process version, so loaded once the case is (a case the
  // reader may not see asks for nothing more)
  const labelledCase = instance ? instance.id : null;
  useEffect(() => {
    if (!labelledCase) return;
    get(`/process-instances/${labelledCase}/data-labels`).then((list) => setLabels(labelMap(list)))
      .catch(() => setLabels(labelMap([])));
  }, [labelledCase]);

  const reload = useCallback(() => load().catch(() => setFailure(t("app.unexpected"))), [load, t]);

  if (failure) {
    return (
      <div className="alert alert-warning" role="alert" data-testid="case-failure">
        {failure} <Link to="/">{t("cases.backToInbox")}</Link>
      </div>
    );
  }
  if (!instance || !progress || !history) return <p className="text-muted">{t("app.loading")}</p>;
  const language = i18n.language;
  return (
    <DataLabels.Provider value={labels}>
      <article aria-labelledby="case-title">
        <h1 id="case-title" className="h4">
          {t("cases.title", { number: instance.number })}{" "}
          <span className="badge bg-secondary fw-normal" data-testid="case-state">
            {t(`cases.caseState.${instance.state}`, { defaultValue: instance.state })}
          </span>
        </h1>
        <p className="text-muted mb-3">
          <span data-case-data>{processName(definition, instance, language)}</span>
          {instance.business_key ? <> · <span data-case-data>{instance.business_key}</span></> : ""}
          {" · "}
          {t("cases.startedAt", { at: formatDateTime(instance.started_at, language) })}
          {instance.ended_at ? ` · ${t("cases.endedAt", { at: formatDateTime(instance.ended_at, language) })}` : ""}
        </p>
        <Suspense fallback={<p className="text-muted">{t("app.loading")}</p>}>
          <CaseDiagram caseId={instance.id} progress={progress} departments={departments}
                       onNames={setNames} />
        </Suspense>
        <div className="row g-3 mt-1">
          <div className="col-lg-5 d-flex flex-column gap-3 wt-case-side">
            <CaseFacts instance={instance} progress={progress} departments={departments} />
            <Incidents instance={instance} progress={progress} onChanged={reload} />
            <Messages instance={instance} messages={messages} onSent={reload} />
            {hasRole(user, "auditor", "admin") && <ChainCheck instanceId={instanceId} history={history} />}
          </div>
          <div className="col-lg-7">
            <Timeline instanceId={instanceId} events={history} steps={steps} names={names} user={user}
                      departments={departments} onCommented={reload} />
          </div>
        </div>
      </article>
    </DataLabels.Provider>
  );
}
