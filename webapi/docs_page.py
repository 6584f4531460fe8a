"""``/api/docs``: Swagger UI from the npm package ``swagger-ui-dist``, served locally (no CDN)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, send_from_directory

from webapi.problems import problem_response

ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js")
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "node_modules" / "swagger-ui-dist"

bp = Blueprint("docs_page", __name__, url_prefix="/api/docs")

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Wutong API</title>
  <link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/api/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/api/docs/init.js"></script>
</body>
</html>
"""

# a file, not an inline script: the Content-Security-Policy allows scripts from this origin only
INIT_JS = """window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout"
});
"""

MISSING = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Wutong API: docs not installed</title></head>
<body>
  <h1>The interactive API docs are not installed</h1>
  <p>The page uses Swagger UI from the npm package <code>swagger-ui-dist</code>, which is not in
  <code>node_modules/</code>. Install it from the repository root with <code>make run</code>
  (it installs everything) or <code>npm install</code>, then reload this page.</p>
  <p>The OpenAPI document itself is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
</body>
</html>
"""


def assets_dir() -> Path:
    return Path(current_app.config.get("WUTONG_SWAGGER_UI_DIR") or DEFAULT_DIR)


def _installed() -> bool:
    folder = assets_dir()
    return all((folder / name).is_file() for name in ASSETS)


@bp.get("")
@bp.get("/")
def page() -> Response:
    """The Swagger UI page, or how to install it when ``node_modules`` is missing."""
    if not _installed():
        return Response(MISSING, status=503, mimetype="text/html")
    return Response(PAGE, mimetype="text/html")


@bp.get("/init.js")
def init_script() -> Response:
    """Starts Swagger UI on the page."""
    return Response(INIT_JS, mimetype="text/javascript")


@bp.get("/assets/<name>")
def asset(name: str) -> Response:
    """One of the three Swagger UI files (nothing else from ``node_modules`` is served)."""
    if name not in ASSETS or not _installed():
        return problem_response(404, "not_found", f"no asset '{name}'")
    return send_from_directory(assets_dir(), name, max_age=3600)
