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
