"""The web application: one HTML page for every application path, and its built script and styles.

The page is a shell: ``static/dist/app.js`` (built from ``src/`` by esbuild, see ``build.mjs``) renders
everything and talks to the server only through the public REST API under /api/v1.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, Response, abort, send_from_directory

DIST = Path(__file__).resolve().parent / "static" / "dist"
ASSETS = frozenset({"app.js", "app.css", "app.js.map", "app.css.map"})
CHUNK = re.compile(r"^[A-Za-z0-9_-]+\.js(\.map)?$")  # esbuild's chunks/<name>-<hash>.js, loaded by import()

bp = Blueprint("ui", __name__)

PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>梧桐 Wutong</title>
  <link rel="stylesheet" href="/ui/dist/app.css">
  <script type="module" src="/ui/dist/app.js"></script>
</head>
<body>
  <div id="root"></div>
  <noscript>梧桐需要启用 JavaScript。Wutong needs JavaScript.</noscript>
</body>
</html>
"""

NOT_BUILT = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Wutong: the web application is not built</title></head>
<body>
  <h1>The web application is not built</h1>
  <p><code>webapi/ui/static/dist/app.js</code> is missing. Build it from the repository root with
  <code>make run</code> (it installs and builds everything) or <code>npm ci &amp;&amp; npm run build</code>,
  then reload this page.</p>
</body>
</html>
"""


def _page() -> Response:
    if not (DIST / "app.js").is_file():
        return Response(NOT_BUILT, status=503, mimetype="text/html")
    response = Response(PAGE, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/")
def inbox() -> Response:
    """The inbox (or the sign-in form when nobody is signed in)."""
    return _page()


@bp.get("/ledger")
@bp.get("/figures")
def figures() -> Response:
    """The ledger (filtered by its URL query) and the figures."""
    return _page()


@bp.get("/signin")
def sign_in() -> Response:
    """The sign-in form."""
    return _page()


@bp.get("/tasks/<uuid:task_id>")
def task(task_id: object) -> Response:
    """One task's page."""
    return _page()


@bp.get("/designer")
@bp.get("/designer/<path:rest>")
def designer(rest: str = "") -> Response:
    """The designer's pages: processes, and the modeler of one version."""
    return _page()


@bp.get("/ui/dist/<name>")
def asset(name: str) -> Response:
    """The built script and styles (nothing else is served from the build directory)."""
    if name not in ASSETS or not (DIST / name).is_file():
        abort(404)
    return send_from_directory(DIST, name, max_age=300)


@bp.get("/ui/dist/chunks/<name>")
def chunk(name: str) -> Response:
    """A script chunk a page loads on demand (its name carries its content hash)."""
    if not CHUNK.fullmatch(name) or not (DIST / "chunks" / name).is_file():
        abort(404)
    return send_from_directory(DIST / "chunks", name, max_age=300)
