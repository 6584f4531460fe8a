"""The web application's pages: one shell for every application path, its built assets, the headers."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from webapi.ui import DIST


@pytest.mark.parametrize("path", ["/", "/signin", "/tasks/6f1c1a8e-8d3e-4a53-9d67-2b1f3f1f2a10"])
def test_every_application_path_serves_the_shell_without_inline_script(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    if not (DIST / "app.js").is_file():
        assert response.status_code == 503  # not built: the page says how to build it
        return
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<script type="module" src="/ui/dist/app.js"></script>' in page
    assert "<script>" not in page
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_only_the_built_assets_are_served(client: FlaskClient) -> None:
    assert client.get("/ui/dist/build.mjs").status_code == 404
    assert client.get("/ui/dist/..%2Fsrc%2Fmain.jsx").status_code == 404
    if (DIST / "app.js").is_file():
        response = client.get("/ui/dist/app.js")
        assert response.status_code == 200 and response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_designer_pages_are_served_and_their_chunks_only_by_name(client: FlaskClient) -> None:
    for path in ("/designer", "/designer/processes/6f1c1a8e-8d3e-4a53-9d67-2b1f3f1f2a10"):
        assert client.get(path).status_code in (200, 503)
    assert client.get("/ui/dist/chunks/..%2Fapp.js").status_code == 404
    assert client.get("/ui/dist/chunks/nothing.css").status_code == 404
    chunks = sorted((DIST / "chunks").glob("ModelerPage-*.js")) if (DIST / "chunks").is_dir() else []
    if chunks:
        response = client.get(f"/ui/dist/chunks/{chunks[0].name}")
        assert response.status_code == 200 and "javascript" in response.mimetype


def test_the_ledger_and_figures_pages_are_served(client: FlaskClient) -> None:
    for path in ("/ledger", "/figures"):
        assert client.get(path).status_code in (200, 503)
