"""The browsable side: an index of the APIs at `/` and a Swagger UI per API under `/__mock/docs/`."""

from __future__ import annotations

import copy
import html
from collections.abc import Sequence
from pathlib import Path

import swagger_ui_bundle  # type: ignore[import-untyped]
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from mockserver.spec.catalog import Api

__all__ = ["docs_routes"]

_STATIC = Path(swagger_ui_bundle.swagger_ui_path)

_INDEX = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mockserver</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}}
table{{border-collapse:collapse;width:100%}}
td,th{{text-align:left;padding:.4rem;border-bottom:1px solid #ddd}}
code{{background:#f4f4f4;padding:0 .2rem}}</style></head>
<body><h1>mockserver</h1><p>{count} APIs served on this port at their native paths.</p>
<table><thead><tr><th>API</th><th>Version</th><th>Base path</th><th>Operations</th><th>Docs</th></tr></thead>
<tbody>{rows}</tbody></table>
<p>Control API (<code>/__mock/</code>: health, reset, journal, poll report, scenarios, clock):
<a href="/__mock/docs/{control}/">Swagger UI</a> ·
<a href="/__mock/docs/{control}/openapi.json">openapi.json</a></p></body></html>"""

_ROW = (
    '<tr class="api" data-slug="{slug}"><td>{title}</td><td>{version}</td><td><code>{base}</code></td>'
    '<td>{ops}</td><td><a href="/__mock/docs/{slug}/">Swagger UI</a> · '
    '<a href="/__mock/docs/{slug}/openapi.json">openapi.json</a></td></tr>'
)

_UI = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} · mockserver</title>
<link rel="stylesheet" href="/__mock/docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/__mock/docs/static/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{url: "/__mock/docs/{slug}/openapi.json", dom_id: "#swagger-ui"}});
</script>
</body></html>"""


def docs_routes(apis: Sequence[Api], control: Api) -> list[Route | Mount]:
    """Routes for the index page, each API's Swagger UI and its spec (servers set to this mock),
    and the same for the control API."""
    by_slug = {api.slug: api for api in [*apis, control]}

    def index(_: Request) -> Response:
        rows = "".join(
            _ROW.format(
                slug=html.escape(api.slug),
                title=html.escape(api.title),
                version=html.escape(api.version),
                base=html.escape(api.base_path or "/"),
                ops=len(api.operations),
            )
            for api in apis
        )
        return HTMLResponse(_INDEX.format(count=len(apis), rows=rows, control=html.escape(control.slug)))

    def ui(req: Request) -> Response:
        api = by_slug.get(req.path_params["slug"])
        if api is None:
            return HTMLResponse("<h1>No such API</h1>", status_code=404)
        return HTMLResponse(_UI.format(title=html.escape(api.title), slug=html.escape(api.slug)))

    def spec(req: Request) -> Response:
        api = by_slug.get(req.path_params["slug"])
        if api is None:
            return JSONResponse({"detail": "no such API"}, status_code=404)
        document = copy.deepcopy(dict(api.document))
        document["servers"] = [{"url": api.base_path or "/", "description": "this mock"}]
        return JSONResponse(document)

    return [
        Route("/", index, methods=["GET"]),
        Mount("/__mock/docs/static", app=StaticFiles(directory=_STATIC)),
        Route("/__mock/docs/{slug}/", ui, methods=["GET"]),
        Route("/__mock/docs/{slug}/openapi.json", spec, methods=["GET"]),
    ]
