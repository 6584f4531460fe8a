// What the server's check said: every problem (with its element, a click selects it on the diagram) and
// the elements added, removed and changed since the newest deployed version.
import { useTranslation } from "react-i18next";

export function Problems({ problems, onSelect }) {
  const { t } = useTranslation();
  if (!problems.length) return null;
  return (
    <section className="card card-body mt-3" aria-labelledby="problems-title">
      <h2 id="problems-title" className="h6">{t("designer.check.problems", { count: problems.length })}</h2>
      <ul className="list-unstyled mb-0" data-testid="check-problems">
        {problems.map((problem, index) => (
          <li key={index} className="mb-1" data-code={problem.code} data-element-id={problem.element_id || ""}>
            <code className="me-2">{problem.code}</code>
            {problem.element_id && (
              <button type="button" className="btn btn-link btn-sm p-0 me-2 align-baseline"
                      onClick={() => onSelect(problem.element_id)}>
                {problem.element_id}
              </button>
            )}
            <span className="small">{problem.message}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Changes({ process, onSelect }) {
  const { t } = useTranslation();
  if (!process.changes) {
    return <p className="mt-3 text-muted" data-testid="check-changes">{t("designer.check.newProcess")}</p>;
  }
  const kinds = ["added", "removed", "changed"];
  const none = kinds.every((kind) => process.changes[kind].length === 0);
  return (
    <section className="card card-body mt-3" aria-labelledby="changes-title" data-testid="check-changes">
      <h2 id="changes-title" className="h6">
        {t("designer.check.changes", { version: process.previous_version })}
      </h2>
      {none && <p className="mb-0 text-muted">{t("designer.check.noChanges")}</p>}
      {kinds.filter((kind) => process.changes[kind].length).map((kind) => (
        <div key={kind} data-kind={kind}>
          <strong className="small">{t(`designer.check.${kind}`)}</strong>
          <ul className="small mb-2">
            {process.changes[kind].map((element) => (
              <li key={element.id} data-element-id={element.id}>
                {kind === "removed" ? element.id : (
                  <button type="button" className="btn btn-link btn-sm p-0 align-baseline"
                          onClick={() => onSelect(element.id)}>{element.id}</button>
                )}{" "}
                <span className="text-muted">{element.type}{element.name ? ` · ${element.name}` : ""}</span>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}
