// What a case is at a glance: the departments that took part, its deadline and those of its open
// steps (due status in words), and its data (the variables the reader may see).
import { useTranslation } from "react-i18next";
import { formatDateTime } from "../format.js";
import { Link } from "../router.jsx";
import { DUE_BADGE, dueKey } from "../pages/due.js";
import { formatLabelled, splitByLabel, useDataLabels } from "./dataLabels.js";
import { departmentName } from "./values.js";

function Due({ at, status }) {
  const { t, i18n } = useTranslation();
  return (
    <>
      {at ? formatDateTime(at, i18n.language) : ""}{" "}
      {(status || !at) && (
        <span className={`badge ${DUE_BADGE[status] || "bg-secondary"}`}>{t(dueKey(status))}</span>
      )}
    </>
  );
}

export default function CaseFacts({ instance, progress, departments }) {
  const { t, i18n } = useTranslation();
  const language = i18n.language;
  const labels = useDataLabels();
  const [labelled, unnamed] = splitByLabel(instance.variables, labels);
  return (
    <>
      <section className="card card-body" aria-labelledby="case-departments-title">
        <h2 id="case-departments-title" className="h6">{t("cases.departments.title")}</h2>
        <ul className="list-inline mb-0" data-testid="case-departments">
          {progress.departments.map((code, index) => (
            <li key={code} className="list-inline-item badge text-bg-light border">
              {departmentName(departments, code, language)}
              {index === 0 && code === instance.department ? ` (${t("cases.departments.owner")})` : ""}
            </li>
          ))}
        </ul>
      </section>
      <section className="card card-body" aria-labelledby="case-deadlines-title">
        <h2 id="case-deadlines-title" className="h6">{t("cases.deadlines.title")}</h2>
        <p className="mb-2 small">
          {t("cases.deadlines.case")}: {instance.due_at ? <Due at={instance.due_at} status={instance.due_status} />
            : t("due.none")}
        </p>
        {instance.open_tasks.length === 0 ? (
          <p className="text-muted small mb-0">{t("cases.deadlines.none")}</p>
        ) : (
          <ul className="list-unstyled small mb-0" data-testid="case-open-tasks">
            {instance.open_tasks.map((task) => (
              <li key={task.id} className="mb-1">
                <Link to={`/tasks/${task.id}`} data-case-data>{task.name || task.activity_id}</Link>
                {" · "}{departmentName(departments, task.department, language)}
                {" · "}<Due at={task.due_at} status={task.due_status} />
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="card card-body" aria-labelledby="case-data-title">
        <h2 id="case-data-title" className="h6">{t("cases.data.title")}</h2>
        {labelled.length + unnamed.length === 0 ? <p className="text-muted small mb-0">{t("cases.data.none")}</p> : (
          <dl className="row small mb-0" data-testid="case-variables">
            {labelled.map(([name, value]) => (
              <div key={name} className="col-12 d-flex gap-2">
                <dt className="fw-normal text-muted" title={name} data-case-data>{labels.get(name).title}</dt>
                <dd className="mb-0 wt-value" data-case-data>
                  {formatLabelled(value, labels.get(name), t, language)}
                </dd>
              </div>
            ))}
          </dl>
        )}
        {unnamed.length > 0 && (
          <>
            <h3 className="h6 small text-muted mt-2 mb-1" id="case-data-unnamed">{t("cases.data.unnamed")}</h3>
            <dl className="row small mb-0 text-muted" aria-labelledby="case-data-unnamed"
                data-testid="case-variables-unnamed">
              {unnamed.map(([name, value]) => (
                <div key={name} className="col-12 d-flex gap-2">
                  <dt className="fw-normal font-monospace">{name}</dt>
                  <dd className="mb-0 wt-value" data-case-data>{formatLabelled(value, null, t, language)}</dd>
                </div>
              ))}
            </dl>
          </>
        )}
      </section>
    </>
  );
}
