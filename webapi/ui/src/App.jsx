// The application shell: who is signed in (GET /session), the navigation and the current page.
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, endSession, get, setCsrfToken } from "./api.js";
import { usePath, navigate } from "./router.jsx";
import Nav from "./pages/Nav.jsx";
import SignIn from "./pages/SignIn.jsx";
import Inbox from "./pages/Inbox.jsx";
import TaskPage from "./pages/TaskPage.jsx";
import { areaPage } from "./areas/index.js";

export default function App() {
  const { t } = useTranslation();
  const path = usePath();
  const [session, setSession] = useState(undefined); // undefined: asking; null: signed out

  useEffect(() => {
    get("/session")
      .then((s) => {
        setCsrfToken(s.csrf_token);
        setSession(s);
      })
      .catch((error) => {
        if (!(error instanceof ApiError && error.status === 401)) console.warn(error);
        setSession(null);
      });
  }, []);

  const signedIn = useCallback((s) => {
    setCsrfToken(s.csrf_token);
    setSession(s);
    if (window.location.pathname === "/signin") navigate("/");
  }, []);

  const signOut = useCallback(async () => {
    await endSession();
    setSession(null);
    navigate("/signin");
  }, []);

  if (session === undefined) return <div className="container py-5 text-muted">{t("app.loading")}</div>;
  if (session === null) return <SignIn onSignedIn={signedIn} />;

  const task = path.match(/^\/tasks\/([0-9a-f-]{36})$/);
  let page;
  if (task) page = <TaskPage taskId={task[1]} user={session.user} />;
  else page = areaPage(path, session.user) || <Inbox user={session.user} />;
  return (
    <>
      <Nav user={session.user} onSignOut={signOut} />
      <main className="container-xl py-3">{page}</main>
    </>
  );
}
