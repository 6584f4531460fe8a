// The designer's pages under /designer, for users with the designer (or admin) role.
import ProcessesPage from "./ProcessesPage.jsx";
import ModelerPage from "./ModelerPage.jsx";

export const isDesigner = (user) => (user.roles || []).some((role) => role === "designer" || role === "admin");

// The page for ``path``, or null when the path is not a designer page.
export function designerPage(path, user) {
  if (!path.startsWith("/designer") || !isDesigner(user)) return null;
  const version = path.match(/^\/designer\/processes\/([0-9a-f-]{36})$/);
  if (version) return <ModelerPage definitionId={version[1]} />;
  return <ProcessesPage />;
}
