// The designer's processes: every key with its Chinese and English names, its versions with the cases
// still running on each, and the last deploy and who made it. A version opens in the modeler.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { get } from "../api.js";
import { formatDateTime } from "../format.js";
import { Link } from "../router.jsx";

function byKey(definitions) {
  const groups = new Map();
  for (const definition of definitions) {
    if (!groups.has(definition.key)) groups.set(definition.key, []);
    groups.get(definition.key).push(definition);
  }
  for (const versions of groups.values()) versions.sort((a, b) => b.version - a.version);
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

export default function ProcessesPage() {
  const { t, i18n } = useTranslation();
  const [groups, setGroups] = useState(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    get("/process-definitions?page_size=100")
      .then((definitions) => setGroups(byKey(definitions)))
      .catch((error) => {
        console.warn(error);
        setFailed(true);
      });
  }, []);

  if (failed) return <div className="alert alert-danger" role="alert">{t("app.unexpected")}</div>;
  if (!groups) return <p className="text-muted">{t("app.loading")}</p>;
  return (
    <section aria-labelledby="processes-title">
      <h1 id="processes-title" className="h4 mb-3">{t("designer.processes.title")}</h1>
      <div className="table-responsive">
        <table className="table table-sm align-middle bg-white" data-testid="processes">
          <thead>
            <tr>
              <th scope="col">{t("designer.processes.key")}</th>
              <th scope="col">{t("designer.processes.name")}</th>
              <th scope="col">{t("designer.processes.versions")}</th>
              <th scope="col">{t("designer.processes.lastDeploy")}</th>
            </tr>
          </thead>
          <tbody>
            {groups.map(([key, versions]) => {
              const newest = versions[0];
              return (
                <tr key={key} data-key={key}>
                  <td><code>{key}</code></td>
                  <td>
                    <div data-case-data>{newest.name}</div>
                    {newest.properties.nameEn && <div className="small text-muted">{newest.properties.nameEn}</div>}
                  </td>
                  <td>
                    <ul className="list-unstyled mb-0">
                      {versions.map((v) => (
                        <li key={v.id} data-version={v.version}>
                          <Link to={`/designer/processes/${v.id}`}>
                            {t("designer.processes.version", { version: v.version })}
                          </Link>{" "}
                          <span className="small text-muted" data-testid="running-cases">
                            {t("designer.processes.running", { count: v.running_cases })}
                          </span>
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td className="small">
                    <div>{formatDateTime(newest.created_at, i18n.language)}</div>
                    <div className="text-muted" data-case-data>{newest.deployed_by ? newest.deployed_by.display_name : "—"}</div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
