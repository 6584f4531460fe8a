// The web application's entry: i18n, the session, and the page for the current path.
import "bootstrap/dist/css/bootstrap.min.css";
import "./app.css";
import { createRoot } from "react-dom/client";
import { initI18n } from "./i18n.js";
import App from "./App.jsx";

initI18n().then(() => {
  createRoot(document.getElementById("root")).render(<App />);
});
