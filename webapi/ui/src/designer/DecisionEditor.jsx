// The DMN editor (the modeler's Decision tables tab, loaded only when opened): a deployment's .dmn file in
// dmn-js's decision table editor (rules added and cells changed in the table, no XML typed), and new
// tables. Every edit is written back to the page's files, so Check and Deploy send the edited table with
// the process and its forms (files.js). The table a process evaluates is built into its version at deploy.
// (its styles are imported by routes.jsx, into app.css: a lazily loaded chunk's CSS is not loaded)
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import DmnModeler from "dmn-js/lib/Modeler";

// A new table: one input and one output, one rule; the decision's id is the file's name.
export const NEW_TABLE = (id, name) => `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/" xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/" id="Definitions_${id}" name="${name}" namespace="http://wutong.example/dmn">
  <decision id="${id}" name="${name}">
    <decisionTable id="${id}_table" hitPolicy="UNIQUE">
      <input id="${id}_input" label="input">
        <inputExpression id="${id}_input_expression" typeRef="string">
          <text>value</text>
        </inputExpression>
      </input>
      <output id="${id}_output" label="result" name="result" typeRef="string"/>
      <rule id="${id}_rule_1">
        <inputEntry id="${id}_rule_1_input">
          <text>-</text>
        </inputEntry>
        <outputEntry id="${id}_rule_1_output">
          <text>""</text>
        </outputEntry>
      </rule>
    </decisionTable>
  </decision>
  <dmndi:DMNDI>
    <dmndi:DMNDiagram id="${id}_diagram">
      <dmndi:DMNShape id="${id}_di" dmnElementRef="${id}">
        <dc:Bounds height="80" width="180" x="160" y="100"/>
      </dmndi:DMNShape>
    </dmndi:DMNDiagram>
  </dmndi:DMNDI>
</definitions>
`;

// The decision table views of the opened file (a file may hold several decisions).
const tables = (modeler) => modeler.getViews().filter((view) => view.type === "decisionTable");

// Marks the cells (or rows) of ``problems`` in ``root``, the message as their title; a table re-renders
// only the cells it changes, so the marks stay until the next check.
function markProblems(root, problems, file) {
  if (!root) return; // the editor has closed
  for (const marked of root.querySelectorAll(".wt-cell-problem")) {
    marked.classList.remove("wt-cell-problem");
    marked.removeAttribute("title");
  }
  for (const problem of problems) {
    if (problem.file !== file || !problem.element_id) continue;
    const id = CSS.escape(problem.element_id);
    const cell = root.querySelector(`[data-element-id="${id}"], [data-row-id="${id}"]`);
    if (!cell) continue;
    cell.classList.add("wt-cell-problem");
    cell.title = problem.message;
  }
}

export default function DecisionEditor({ files, original, onChange, problems }) {
  const { t } = useTranslation();
  const containerRef = useRef(null);
  const modelerRef = useRef(null);
  const names = Object.keys(files).filter((name) => name.endsWith(".dmn")).sort();
  const [selected, setSelected] = useState(names[0] || "");
  const [views, setViews] = useState([]);
  const [active, setActive] = useState(null);
  const [newName, setNewName] = useState("");
  const [failed, setFailed] = useState(false);
  const selectedRef = useRef(selected);
  const filesRef = useRef(files);
  filesRef.current = files;
  const problemsRef = useRef(problems);
  problemsRef.current = problems;

  useEffect(() => {
    const modeler = new DmnModeler({ container: containerRef.current });
    modelerRef.current = modeler;
    let attached = null;
    const save = async () => {
      const { xml } = await modeler.saveXML({ format: true });
      if (xml !== filesRef.current[selectedRef.current]) onChange(selectedRef.current, xml);
    };
    // each view has its own viewer: listen to the one shown for edits
    modeler.on("views.changed", ({ activeView }) => {
      setViews(tables(modeler).map((view) => ({ id: view.element.id, name: view.element.name })));
      setActive(activeView ? activeView.element.id : null);
      const viewer = modeler.getActiveViewer();
      if (viewer === attached || !viewer) return;
      if (attached) attached.get("eventBus").off("elements.changed", save);
      attached = viewer;
      viewer.get("eventBus").on("elements.changed", save);
    });
    modeler.on("views.changed", () => {
      // after the view has rendered
      setTimeout(() => markProblems(containerRef.current, problemsRef.current, selectedRef.current), 0);
    });
    return () => modeler.destroy();
  }, [onChange]);

  useEffect(() => {
    selectedRef.current = selected;
    if (!selected) return;
    setFailed(false);
    const modeler = modelerRef.current;
    modeler.importXML(filesRef.current[selected])
      .then(() => {
        // straight to the (first) table: the decision requirements diagram is not what designers edit
        const [first] = tables(modeler);
        if (first) return modeler.open(first);
        return undefined;
      })
      .catch((error) => {
        console.warn(error);
        setFailed(true);
      });
  }, [selected]);

  useEffect(() => {
    markProblems(containerRef.current, problems, selected);
  }, [problems, selected]);

  const open = (id) => {
    const view = tables(modelerRef.current).find((candidate) => candidate.element.id === id);
    if (view) modelerRef.current.open(view);
  };

  const create = (event) => {
    event.preventDefault();
    const id = newName.trim().replace(/[^A-Za-z0-9_]/g, "_").replace(/^(?=[0-9_])/, "d");
    if (!newName.trim()) return;
    const file = `${id}.dmn`;
    if (!(file in files)) onChange(file, NEW_TABLE(id, newName.trim().replace(/[<>&"]/g, "")));
    setSelected(file);
    setNewName("");
  };

  const edited = (name) => original[name] !== files[name];
  return (
    <div data-testid="decision-editor">
      <div className="d-flex gap-2 mb-2 flex-wrap align-items-center">
        <label className="visually-hidden" htmlFor="wt-dmn-file">{t("designer.decisions.file")}</label>
        <select id="wt-dmn-file" className="form-select form-select-sm w-auto" value={selected}
                onChange={(event) => setSelected(event.target.value)}>
          {names.map((name) => (
            <option key={name} value={name}>
              {name}{edited(name) ? ` (${t(name in original ? "designer.decisions.edited" : "designer.decisions.new")})` : ""}
            </option>
          ))}
        </select>
        {views.length > 1 && (
          <>
            <label className="visually-hidden" htmlFor="wt-dmn-view">{t("designer.decisions.decision")}</label>
            <select id="wt-dmn-view" className="form-select form-select-sm w-auto" value={active || ""}
                    onChange={(event) => open(event.target.value)}>
              {views.map((view) => <option key={view.id} value={view.id}>{view.name || view.id}</option>)}
            </select>
          </>
        )}
        {selected && (
          <span className="badge text-bg-light border" data-testid="decision-state">
            {t(!edited(selected) ? "designer.decisions.unchanged"
              : selected in original ? "designer.decisions.edited" : "designer.decisions.new")}
          </span>
        )}
        <form className="d-flex gap-1 ms-auto" onSubmit={create}>
          <label className="visually-hidden" htmlFor="wt-dmn-new">{t("designer.decisions.newName")}</label>
          <input id="wt-dmn-new" className="form-control form-control-sm" value={newName}
                 placeholder={t("designer.decisions.newName")} onChange={(event) => setNewName(event.target.value)} />
          <button type="submit" className="btn btn-sm btn-outline-success text-nowrap">
            {t("designer.decisions.create")}
          </button>
        </form>
      </div>
      {!names.length && <p className="text-muted">{t("designer.decisions.none")}</p>}
      {failed && <div className="alert alert-danger py-2" role="alert">{t("designer.decisions.openFailed")}</div>}
      <p className="small text-muted mb-2">{t("designer.decisions.help")}</p>
      <div className="wt-dmn" ref={containerRef} data-testid="dmn-editor" />
    </div>
  );
}
