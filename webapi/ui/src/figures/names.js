// Names for codes the ledger and figures show: departments and processes, in the page's language.
import { useEffect, useState } from "react";
import { get } from "../api.js";

export function useNames() {
  const [names, setNames] = useState({ departments: {}, processes: {} });
  useEffect(() => {
    let alive = true;
    Promise.all([get("/departments?page_size=200"), get("/process-definitions?page_size=200")])
      .then(([departments, processes]) => {
        const d = {};
        for (const dep of departments) d[dep.code] = { "zh-CN": dep.name, en: dep.name_en || dep.name };
        const p = {};
        for (const def of processes) p[def.key] = def.name || def.key;
        if (alive) setNames({ departments: d, processes: p });
      })
      .catch(() => {});
    return () => {
      alive = false;
    };
  }, []);
  return names;
}

export function departmentName(names, code, language) {
  if (!code) return "—";
  const entry = names.departments[code];
  return (entry && entry[language]) || code;
}

export function processName(names, key) {
  return names.processes[key] || key;
}

// "3/4 (75.0%)": a rate as the API gives it, numerator and denominator with the percentage.
export function formatRate(rate, language) {
  if (!rate || rate.denominator === 0) return "—";
  const percent = new Intl.NumberFormat(language, { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(rate.percent);
  return `${rate.numerator}/${rate.denominator} (${percent}%)`;
}
