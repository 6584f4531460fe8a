// One of the company's cases in plain words: which department has it now, since when, due when, what
// waits for the company itself (a link to that task's page), or how it ended.
import { Trans, useTranslation } from "react-i18next";
import { formatDateTime } from "../format.js";
import { Link } from "../router.jsx";
import { DUE_BADGE, dueKey } from "../pages/due.js";

// A step's name is the process's words, not the interface's (the English-page check skips it).
const STEP = { step: <span data-case-data /> };

function localised(language, chinese, english) {
  return (language === "en" && english) || chinese;
}

function DueBadge({ status }) {
  const { t } = useTranslation();
  return <span className={`badge ${DUE_BADGE[status] || "bg-secondary"}`}>{t(dueKey(status))}</span>;
}

function Step({ step, task }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const name = localised(lang, step.name, step.name_en) || step.activity_id;
  const since = formatDateTime(step.since, lang);
  const due = step.due_at ? formatDateTime(step.due_at, lang) : null;
  if (step.with_applicant) {
    return (
      <li className="mb-2" data-testid="step-for-me">
        <strong><Trans i18nKey="company.waitingForYou" values={{ step: name }} components={STEP} /></strong>{" "}
        {due && <span>{t("company.dueBy", { due })} </span>}
        {step.due_status && <DueBadge status={step.due_status} />}
        {task && (
          <div className="mt-1">
            <Link to={`/tasks/${task.id}`} className="btn btn-sm btn-success">
              <Trans i18nKey="company.answer" values={{ step: name }} components={STEP} />
            </Link>
          </div>
        )}
      </li>
    );
  }
  const department = localised(lang, step.department_name, step.department_name_en) || step.department || "—";
  return (
    <li className="mb-2" data-testid="step">
      <Trans i18nKey="company.withDepartment" values={{ department, step: name, since }} components={STEP} />{" "}
      {due && <span>{t("company.dueBy", { due })} </span>}
      {step.due_status && <DueBadge status={step.due_status} />}
    </li>
  );
}

function Ended({ instance }) {
  const { t, i18n } = useTranslation();
  const ended = formatDateTime(instance.ended_at, i18n.language);
  const rating = instance.variables && instance.variables.satisfaction;
  return (
    <p className="mb-0" data-testid="case-ended">
      {instance.state === "completed" ? t("company.done", { ended }) : t("company.closed", { ended })}
      {rating ? ` ${t("company.rated", { rating })}` : ""}
    </p>
  );
}

export default function CaseProgress({ instance }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const running = instance.state === "running" || instance.state === "error";
  const tasks = instance.open_tasks || [];
  const steps = instance.current_steps || [];
  const subject = (instance.variables && instance.variables.problem_description) || instance.business_key;
  return (
    <article className="card mb-3" data-testid="company-case" data-number={instance.number}
             aria-labelledby={`case-${instance.id}`}>
      <div className="card-body">
        <h3 id={`case-${instance.id}`} className="h6 card-title">
          {instance.number} · <span data-case-data>{instance.process_name || instance.key}</span>{" "}
          <span className="badge bg-secondary fw-normal">{t(`company.state.${instance.state}`)}</span>
        </h3>
        {subject && <p className="text-muted small mb-2" data-case-data>{subject}</p>}
        <p className="small mb-2">
          {t("company.raisedOn", { started: formatDateTime(instance.started_at, lang) })}
          {running && instance.due_at ? ` ${t("company.caseDue", { due: formatDateTime(instance.due_at, lang) })}` : ""}
        </p>
        {running && steps.length === 0 && <p className="mb-0">{t("company.moving")}</p>}
        {running && steps.length > 0 && (
          <ul className="list-unstyled mb-0">
            {steps.map((step) => (
              <Step key={`${step.activity_id}-${step.since}-${step.department}`} step={step}
                    task={step.with_applicant ? tasks.find((task) => task.activity_id === step.activity_id) : null} />
            ))}
          </ul>
        )}
        {!running && <Ended instance={instance} />}
      </div>
    </article>
  );
}
