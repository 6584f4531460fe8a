// The case's timeline (GET /process-instances/{id}/history): who, when, what (the event kinds in the
// page's language), for whom, why, and the values each step submitted; engine-level events (each
// BPMN element starting and ending, every change of case data) on request. Comments are added here.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, post } from "../api.js";
import { formatDateTime } from "../format.js";
import { formatLabelled, splitByLabel, useDataLabels } from "./dataLabels.js";
import { departmentName, hasRole } from "./values.js";

const ENGINE_EVENTS = /^(activity\.|variables\.changed$|timer\.fired$|notification\.)/;

function Values({ values, label }) {
  const { t, i18n } = useTranslation();
  const labels = useDataLabels();
  const [labelled, unnamed] = splitByLabel(values, labels);
  if (!labelled.length && !unnamed.length) return null;
  return (
    <dl className="row small mt-1" aria-label={label}>
      {[...labelled, ...unnamed].map(([name, value]) => (
        <div key={name} className="col-12 d-flex gap-2">
          <dt className={`fw-normal text-muted${labels.has(name) ? "" : " font-monospace"}`} title={name}
              data-case-data={labels.has(name) || undefined}>
            {labels.has(name) ? labels.get(name).title : name}
          </dt>
          <dd className="mb-0 wt-value" data-case-data>
            {formatLabelled(value, labels.get(name), t, i18n.language)}
          </dd>
        </div>
      ))}
    </dl>
  );
}

// What an event says beyond its kind: the step, the reason, the values.
function Details({ event, steps, names, departments }) {
  const { t, i18n } = useTranslation();
  const d = event.details || {};
  const step = event.task_id && steps[event.task_id];
  const element = d.activity_id || d.element_id || (step && step.activity_id);
  const parts = [];
  // the diagram's name (in the page's language), else the task's, else the element's id
  if (element) parts.push(names[element] || (step && step.name) || element);
  if (d.department) parts.push(departmentName(departments, d.department, i18n.language));
  if (d.to_department) parts.push(`→ ${departmentName(departments, d.to_department, i18n.language)}`);
  if (d.name && event.action === "message.received") parts.push(d.name);
  if (d.code) parts.push(d.code);
  return (
    <>
      {parts.length > 0 && <div data-case-data>{parts.join(" · ")}</div>}
      {d.reason && <div>{t("cases.timeline.reasonLabel")} <span data-case-data>{d.reason}</span></div>}
      {d.text && <div className="wt-value" data-case-data>{d.text}</div>}
      {d.message && <div className="text-danger" data-case-data>{d.message}</div>}
      {d.to && event.action === "task.deadline_extended" && (
        <div>{t("cases.timeline.extendedTo", { at: formatDateTime(d.to, i18n.language) })}</div>
      )}
      {d.data && <Values values={d.data} label={t("cases.timeline.submitted")} />}
      {d.payload && <Values values={d.payload} label={t("cases.timeline.payload")} />}
      {d.changes && (
        <Values label={t("cases.timeline.changes")}
                values={Object.fromEntries(Object.entries(d.changes).map(([k, c]) => [k, c.new]))} />
      )}
    </>
  );
}

function CommentForm({ instanceId, onCommented }) {
  const { t } = useTranslation();
  const [text, setText] = useState("");
  const [message, setMessage] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      await post(`/process-instances/${instanceId}/comments`, { text });
      setText("");
      onCommented();
    } catch (error) {
      setMessage(error instanceof ApiError && error.status === 422 ? t("cases.comment.invalid")
        : error instanceof ApiError && error.status === 403 ? t("cases.comment.forbidden") : t("app.unexpected"));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} className="mb-3">
      <label htmlFor="case-comment" className="form-label small">{t("cases.comment.label")}</label>
      <textarea id="case-comment" className="form-control" rows={2} maxLength={4000} value={text}
                onChange={(e) => setText(e.target.value)} required />
      {message && <div className="text-danger small" role="alert">{message}</div>}
      <button type="submit" className="btn btn-sm btn-outline-primary mt-2" disabled={busy || !text.trim()}>
        {t("cases.comment.add")}
      </button>
    </form>
  );
}

export default function Timeline({ instanceId, events, steps, names, user, departments, onCommented }) {
  const { t, i18n } = useTranslation();
  const [engineEvents, setEngineEvents] = useState(false);
  const shown = engineEvents ? events : events.filter((e) => !ENGINE_EVENTS.test(e.action));
  const mayComment = hasRole(user, "staff", "supervisor", "admin", "applicant");
  return (
    <section className="card" aria-labelledby="case-timeline-title">
      <div className="card-header d-flex flex-wrap align-items-center gap-2">
        <h2 id="case-timeline-title" className="h6 mb-0 me-auto">{t("cases.timeline.title")}</h2>
        <div className="form-check form-switch mb-0 small">
          <input id="engine-events" className="form-check-input" type="checkbox" checked={engineEvents}
                 onChange={(e) => setEngineEvents(e.target.checked)} />
          <label className="form-check-label" htmlFor="engine-events">{t("cases.timeline.engineEvents")}</label>
        </div>
      </div>
      <div className="card-body">
        {mayComment && <CommentForm instanceId={instanceId} onCommented={onCommented} />}
        <ol className="list-unstyled wt-timeline mb-0" data-testid="timeline">
          {shown.map((event) => (
            <li key={event.id} className="border-bottom py-2" data-action={event.action}>
              <div className="d-flex flex-wrap gap-2 small text-muted">
                <time dateTime={event.at}>{formatDateTime(event.at, i18n.language)}</time>
                <span data-case-data title={event.actor}>{event.actor_display_name || event.actor}</span>
                {event.acting_for && <span>{t("cases.timeline.actingFor", { who: event.acting_for })}</span>}
                {event.details && event.details.for_applicant && !event.acting_for && (
                  <span>{t("cases.timeline.forApplicant")}</span>
                )}
              </div>
              <strong>{t(`cases.action.${event.action}`, { defaultValue: event.action })}</strong>
              <Details event={event} steps={steps} names={names} departments={departments} />
            </li>
          ))}
        </ol>
      </div>
    </section>
  );
}
