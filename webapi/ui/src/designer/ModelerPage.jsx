// The BPMN modeler: opens a deployed version with all its files, edits the diagram with the palette and
// the properties panel (Wutong's entries included), checks the files against the server (each problem
// shown at its element on the diagram), shows what changed from the newest version, and deploys. Its tabs
// edit the forms and the decision tables deployed with the diagram.
// (its styles are imported by routes.jsx, into app.css: a lazily loaded chunk's CSS is not loaded)
import { Suspense, lazy, useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import Modeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import { ApiError, get } from "../api.js";
import { Link, navigate } from "../router.jsx";
import WutongPropertiesModule from "./WutongPropertiesProvider.js";
import spiffworkflow from "./spiffworkflow.json";
import { checkFiles, deployFiles, filesToDeploy, loadVersion } from "./files.js";
import FormEditor from "./FormEditor.jsx";
import { Changes, Problems } from "./CheckReport.jsx";

// dmn-js is fetched only when the decision tables tab is opened
const DecisionEditor = lazy(() => import("./DecisionEditor.jsx"));

const PROBLEM_OVERLAY = "wutong-problem";

export default function ModelerPage({ definitionId }) {
  const { t } = useTranslation();
  const canvasRef = useRef(null);
  const panelRef = useRef(null);
  const modelerRef = useRef(null);
  const filesRef = useRef({});
  const departmentsRef = useRef([]);
  const [version, setVersion] = useState(null); // {definition, deployment}
  const [files, setFiles] = useState({});
  const [report, setReport] = useState(null); // the last check: {valid, problems, processes}
  const [message, setMessage] = useState(null);
  const [busy, setBusy] = useState(false);
  const [tab, setTab] = useState("diagram");
  const announce = useRef(null); // the message to show once the next version is open

  useEffect(() => {
    const modeler = new Modeler({
      container: canvasRef.current,
      propertiesPanel: { parent: panelRef.current },
      additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, WutongPropertiesModule],
      moddleExtensions: { spiffworkflow },
      wutong: {
        departments: () => departmentsRef.current,
        forms: () => Object.keys(filesRef.current).filter((name) => name.endsWith(".json")).sort(),
      },
    });
    modelerRef.current = modeler;
    return () => modeler.destroy();
  }, []);

  useEffect(() => {
    let cancelled = false;
    setReport(null);
    setMessage(announce.current);
    announce.current = null;
    Promise.all([loadVersion(definitionId), get("/departments?page_size=200")])
      .then(async ([loaded, departments]) => {
        if (cancelled) return;
        departmentsRef.current = departments;
        filesRef.current = loaded.files;
        setFiles(loaded.files);
        setVersion(loaded);
        // at scale 1 from the diagram's origin: readable, and where a designer starts drawing
        await modelerRef.current.importXML(loaded.files[loaded.definition.source_file]);
      })
      .catch((error) => {
        console.warn(error);
        if (!cancelled) setMessage({ kind: "danger", text: t("designer.modeler.loadFailed") });
      });
    return () => {
      cancelled = true;
    };
  }, [definitionId, t]);

  useEffect(() => {
    if (tab === "diagram" && modelerRef.current) modelerRef.current.get("canvas").resized();
  }, [tab]);

  const setFile = useCallback((name, text) => {
    filesRef.current = { ...filesRef.current, [name]: text };
    setFiles(filesRef.current);
  }, []);

  // the files to check and deploy: the edited diagram, the processes it calls, the forms
  const currentFiles = async () => {
    const { xml } = await modelerRef.current.saveXML({ format: true });
    return filesToDeploy(filesRef.current, version.definition.source_file, xml, version.files);
  };

  const showProblems = (problems) => {
    const overlays = modelerRef.current.get("overlays");
    const registry = modelerRef.current.get("elementRegistry");
    overlays.remove({ type: PROBLEM_OVERLAY });
    for (const problem of problems) {
      if (!problem.element_id || !registry.get(problem.element_id)) continue;
      const badge = document.createElement("div");
      badge.className = "wt-problem-badge";
      badge.dataset.elementId = problem.element_id;
      badge.dataset.code = problem.code;
      badge.title = problem.message;
      badge.textContent = "!";
      overlays.add(problem.element_id, PROBLEM_OVERLAY, { position: { top: -12, right: 12 }, html: badge });
    }
  };

  const select = (elementId) => {
    const element = modelerRef.current.get("elementRegistry").get(elementId);
    if (!element) {
      // a decision table's cell: its problem is marked in the table
      if (report && report.problems.some((p) => p.element_id === elementId && (p.file || "").endsWith(".dmn"))) {
        setTab("decisions");
      }
      return;
    }
    setTab("diagram");
    modelerRef.current.get("selection").select(element);
    modelerRef.current.get("canvas").scrollToElement(element);
  };

  const check = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const result = await checkFiles(await currentFiles());
      setReport(result);
      showProblems(result.problems);
      setMessage(result.valid
        ? { kind: "success", text: t("designer.modeler.checkPassed") }
        : { kind: "warning", text: t("designer.modeler.checkFailed", { count: result.problems.length }) });
    } catch (error) {
      console.warn(error);
      setMessage({ kind: "danger", text: t("app.unexpected") });
    } finally {
      setBusy(false);
    }
  };

  const deploy = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const result = await deployFiles(await currentFiles());
      const mine = result.processes.find((p) => p.key === version.definition.key);
      if (!result.created || !mine) {
        setMessage({ kind: "info", text: t("designer.modeler.unchanged") });
        return;
      }
      announce.current = { kind: "success", text: t("designer.modeler.deployed", { version: mine.version }) };
      navigate(`/designer/processes/${mine.id}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) {
        const problems = error.problem.errors || [];
        setReport({ valid: false, problems, processes: [] });
        showProblems(problems);
        setMessage({ kind: "warning", text: t("designer.modeler.checkFailed", { count: problems.length }) });
      } else {
        console.warn(error);
        setMessage({ kind: "danger", text: t("app.unexpected") });
      }
    } finally {
      setBusy(false);
    }
  };

  const definition = version && version.definition;
  const changes = report && definition && report.processes.find((p) => p.key === definition.key);
  return (
    <article aria-labelledby="modeler-title">
      <p className="mb-2"><Link to="/designer">← {t("designer.processes.title")}</Link></p>
      <div className="d-flex flex-wrap align-items-center gap-2 mb-2">
        <h1 id="modeler-title" className="h4 mb-0 me-auto">
          {definition ? <span data-case-data>{definition.name || definition.key}</span> : t("app.loading")}{" "}
          {definition && (
            <span className="badge bg-secondary fw-normal" data-testid="modeler-version">
              {t("designer.processes.version", { version: definition.version })}
            </span>
          )}
        </h1>
        <button type="button" className="btn btn-outline-primary" disabled={busy || !version} onClick={check}>
          {t("designer.modeler.check")}
        </button>
        <button type="button" className="btn btn-success" disabled={busy || !version} onClick={deploy}>
          {t("designer.modeler.deploy")}
        </button>
      </div>
      {message && (
        <div className={`alert alert-${message.kind} py-2`} role="alert" data-testid="modeler-message">
          {message.text}
        </div>
      )}
      <ul className="nav nav-tabs mb-2">
        {["diagram", "forms", "decisions"].map((name) => (
          <li className="nav-item" key={name}>
            <button type="button" className={`nav-link ${tab === name ? "active" : ""}`}
                    onClick={() => setTab(name)}>
              {t(`designer.modeler.tab.${name}`)}
            </button>
          </li>
        ))}
      </ul>
      <div className={tab === "diagram" ? "wt-modeler" : "d-none"}>
        <div className="wt-canvas" ref={canvasRef} data-testid="modeler-canvas" />
        <div className="wt-panel" ref={panelRef} aria-label={t("designer.modeler.properties")} />
      </div>
      {tab === "forms" && definition && (
        <FormEditor files={files} processKey={definition.key} onChange={setFile} />
      )}
      {tab === "decisions" && version && (
        <Suspense fallback={<p className="text-muted">{t("app.loading")}</p>}>
          <DecisionEditor files={files} original={version.files} onChange={setFile}
                          problems={report ? report.problems : []} />
        </Suspense>
      )}
      {report && <Problems problems={report.problems} onSelect={select} />}
      {changes && <Changes process={changes} onSelect={select} />}
    </article>
  );
}
