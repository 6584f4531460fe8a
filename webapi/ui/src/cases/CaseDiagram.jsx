// The case's process diagram in bpmn-js's NavigatedViewer (loaded on demand), each step marked by
// its state: a marker class per state (colours in cases.css), an overlay saying "active"/"overdue"
// in words on open steps, a legend with counts and a list of the steps with their state in words,
// so colour never carries the meaning alone.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import { useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { formatDateTime } from "../format.js";
import { departmentName } from "./values.js";

export const STATES = ["completed", "active", "overdue"];
const OVERLAY = "wt-state";

// The BPMN file the case runs (GET /process-instances/{id}/diagram: whoever sees the case may read it).
async function caseXml(caseId) {
  const response = await fetch(`/api/v1/process-instances/${caseId}/diagram`, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.text();
}

// An element's English name: its spiffworkflow property ``nameEn`` (bpmn-js keeps the extension,
// whose namespace it does not know, as generic children of ``extensionElements``).
function englishName(businessObject) {
  for (const extension of (businessObject.extensionElements || {}).values || []) {
    for (const child of extension.$children || []) {
      if (child.name === "nameEn" && child.value) return child.value;
    }
  }
  return null;
}

function overlayBadge(state, text) {
  const badge = document.createElement("span");
  badge.className = `wt-state-badge wt-state-badge-${state}`;
  badge.textContent = text;
  return badge;
}

export default function CaseDiagram({ caseId, progress, departments, onNames }) {
  const { t, i18n } = useTranslation();
  const container = useRef(null);
  const viewer = useRef(null);
  const [labels, setLabels] = useState({}); // element id -> {zh, en}
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    const instance = new NavigatedViewer({ container: container.current });
    viewer.current = instance;
    let gone = false;
    caseXml(caseId)
      .then((xml) => instance.importXML(xml))
      .then(() => {
        if (gone) return;
        instance.get("canvas").zoom("fit-viewport");
        const found = {};
        for (const element of instance.get("elementRegistry").getAll()) {
          const business = element.businessObject;
          if (business && business.name) found[element.id] = { zh: business.name, en: englishName(business) };
        }
        setLabels(found);
      })
      .catch(() => !gone && setFailed(true));
    return () => {
      gone = true;
      instance.destroy();
    };
  }, [caseId]);

  // the steps' names in the page's language (the Chinese name where a step has no ``nameEn``)
  const english = i18n.language === "en";
  const names = useMemo(
    () => Object.fromEntries(Object.entries(labels).map(([id, l]) => [id, (english && l.en) || l.zh])),
    [labels, english],
  );
  useEffect(() => {
    if (onNames) onNames(names);
  }, [names, onNames]);

  // the markers and overlays follow the progress (and the language of the overlays' words)
  useEffect(() => {
    const instance = viewer.current;
    if (!instance || !Object.keys(names).length) return;
    const canvas = instance.get("canvas");
    const registry = instance.get("elementRegistry");
    const overlays = instance.get("overlays");
    overlays.remove({ type: OVERLAY });
    for (const element of progress.elements) {
      if (!registry.get(element.element_id)) continue;
      for (const state of STATES) canvas.removeMarker(element.element_id, `wt-${state}`);
      canvas.addMarker(element.element_id, `wt-${element.state}`);
      if (element.state !== "completed") {
        overlays.add(element.element_id, OVERLAY, {
          position: { bottom: 4, left: 0 },
          html: overlayBadge(element.state, t(`cases.diagram.${element.state}`)),
        });
      }
    }
  }, [names, progress, t]);

  const zoom = (step) => {
    const canvas = viewer.current && viewer.current.get("canvas");
    if (canvas) canvas.zoom(step === 0 ? "fit-viewport" : canvas.zoom() * step);
  };
  const counts = Object.fromEntries(STATES.map((s) => [s, progress.elements.filter((e) => e.state === s).length]));
  const steps = progress.elements.filter((e) => names[e.element_id]);
  const language = i18n.language;

  return (
    <section className="card mb-3" aria-labelledby="case-diagram-title">
      <div className="card-header d-flex flex-wrap align-items-center gap-2">
        <h2 id="case-diagram-title" className="h6 mb-0 me-auto">{t("cases.diagram.title")}</h2>
        <ul className="list-inline mb-0 small" aria-label={t("cases.diagram.legend")} data-testid="diagram-legend">
          {STATES.map((state) => (
            <li key={state} className="list-inline-item">
              <span className={`wt-swatch wt-swatch-${state}`} aria-hidden="true" />{" "}
              {t(`cases.diagram.${state}`)} ({counts[state]})
            </li>
          ))}
        </ul>
        <div className="btn-group btn-group-sm" role="group" aria-label={t("cases.diagram.zoom")}>
          <button type="button" className="btn btn-outline-secondary" onClick={() => zoom(1.25)}>
            {t("cases.diagram.zoomIn")}
          </button>
          <button type="button" className="btn btn-outline-secondary" onClick={() => zoom(0.8)}>
            {t("cases.diagram.zoomOut")}
          </button>
          <button type="button" className="btn btn-outline-secondary" onClick={() => zoom(0)}>
            {t("cases.diagram.fit")}
          </button>
        </div>
      </div>
      {failed && <div className="alert alert-warning m-2" role="alert">{t("cases.diagram.failed")}</div>}
      <div ref={container} className="wt-case-diagram" data-testid="case-diagram" />
      <details className="card-footer small">
        <summary>{t("cases.diagram.steps", { n: steps.length })}</summary>
        <ul className="list-unstyled mb-0 mt-2" data-testid="diagram-steps">
          {steps.map((e) => (
            <li key={e.element_id}>
              <span className={`wt-swatch wt-swatch-${e.state}`} aria-hidden="true" /> {names[e.element_id]}:{" "}
              {t(`cases.diagram.${e.state}`)}
              {e.department ? ` · ${departmentName(departments, e.department, language)}` : ""}
              {e.due_at ? ` · ${t("cases.dueBy", { at: formatDateTime(e.due_at, language) })}` : ""}
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}
