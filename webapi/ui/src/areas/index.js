// Every area of the web application, in navigation order (see README.md beside this file).
import start from "../start/area.jsx";
import company from "../company/area.jsx";
import cases from "../cases/area.jsx";
import supervision from "../supervision/area.jsx";
import notifications from "../notifications/area.jsx";
import figures from "../figures/area.jsx";
import designer from "../designer/area.jsx";
import admin from "../admin/area.jsx";

export const AREAS = [start, company, cases, supervision, notifications, figures, designer, admin];

// The first area page that claims ``path`` for ``user``, or null.
export function areaPage(path, user) {
  for (const area of AREAS) {
    const page = area.page(path, user);
    if (page) return page;
  }
  return null;
}
