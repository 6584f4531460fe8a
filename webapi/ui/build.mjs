// Builds the web application (src/main.jsx) into static/dist/ with esbuild: one app.js and one app.css.
// Run by `npm run build` from scripts/bootstrap.sh (make run, make test); the output is git-ignored.
import * as esbuild from "esbuild";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { cspSafe } from "./csp-safe.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
// chunk names carry content hashes: drop the previous build's
rmSync(path.join(here, "static", "dist", "chunks"), { recursive: true, force: true });
await esbuild.build({
  entryPoints: { app: path.join(here, "src", "main.jsx") },
  outdir: path.join(here, "static", "dist"),
  bundle: true,
  // ES modules split into chunks: pages loaded with import() (the designer's modeler, ~2 MB) are
  // fetched only when opened (chunks/*.js, served by webapi/ui/__init__.py)
  format: "esm",
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  // only @rjsf/core's test helper imports the Ajv validator; this app uses src/validator.js (no eval)
  alias: { "@rjsf/validator-ajv8": path.join(here, "src", "no-ajv.js") },
  minify: true,
  sourcemap: true,
  target: ["es2020"],
  jsx: "automatic",
  // bpmn-js's embedded icon font: the woff is inlined; its .eot/.svg fallbacks (old browsers) are dropped
  loader: { ".woff": "file", ".woff2": "file", ".svg": "file", ".eot": "empty" },
  define: { "process.env.NODE_ENV": '"production"' },
  legalComments: "linked",
  logLevel: "warning",
  plugins: [cspSafe],
});
