// Department names from GET /departments, for labels and the department filters.
import { useEffect, useState } from "react";
import { get } from "../api.js";

export function useDepartments() {
  const [departments, setDepartments] = useState([]);
  useEffect(() => {
    let live = true;
    get("/departments?page_size=200")
      .then((list) => live && setDepartments(list || []))
      .catch((error) => console.warn(error));
    return () => {
      live = false;
    };
  }, []);
  return departments;
}

// The department's name in ``language`` (its code when unknown or none).
export function departmentName(departments, code, language) {
  if (!code) return "";
  const found = departments.find((d) => d.code === code);
  if (!found) return code;
  return (language.startsWith("en") && found.name_en) || found.name || code;
}

// Process names by key from GET /process-definitions (the newest version's; English from ``nameEn``).
export function useProcessNames() {
  const [names, setNames] = useState({});
  useEffect(() => {
    let live = true;
    get("/process-definitions?latest=true&page_size=200")
      .then((list) => {
        const map = {};
        for (const d of list || []) map[d.key] = { "zh-CN": d.name, en: (d.properties || {}).nameEn || d.name };
        if (live) setNames(map);
      })
      .catch((error) => console.warn(error));
    return () => {
      live = false;
    };
  }, []);
  return names;
}

// The process's name in ``language`` (its key when unknown or unnamed).
export function processName(names, key, language) {
  const found = names[key];
  if (!found) return key;
  return (language.startsWith("en") ? found.en : found["zh-CN"]) || key;
}
