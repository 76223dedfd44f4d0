"""The search API and the built site behind one ASGI app (Starlette), served by uvicorn."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .search import ArchiveIndex, QueryError, current_dir
from .taxonomy import Taxonomy

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class _Headers(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        elif response.status_code == 200:
            response.headers.setdefault("Cache-Control", "public, max-age=300")
        return response


class _IndexHolder:
    """Reopens the index when a rebuild swaps in a new generation."""

    def __init__(self, base: Path, taxonomy: Taxonomy | None) -> None:
        self.base = base
        self.taxonomy = taxonomy
        self._generation: Path | None = None
        self._index: ArchiveIndex | None = None

    def get(self) -> ArchiveIndex:
        generation = current_dir(self.base)
        if self._index is None or generation != self._generation:
            if self._index is not None:
                self._index.close()
            self._index = ArchiveIndex(self.base, self.taxonomy)
            self._generation = generation
        return self._index


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise QueryError(f"{name}: expected a whole number, got '{raw}'") from None


def create_app(site_dir: Path, index_dir: Path, taxonomy: Taxonomy | None = None) -> Starlette:
    holder = _IndexHolder(index_dir, taxonomy)

    async def api_search(request: Request) -> JSONResponse:
        try:
            limit = _int_param(request, "limit", 20)
            page = _int_param(request, "page", 1)
            result = holder.get().search(request.query_params.get("q", ""), limit=limit, page=page)
        except QueryError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except FileNotFoundError:
            return JSONResponse({"error": "the search index has not been built"}, status_code=503)
        return JSONResponse(result.to_json())

    async def api_similar(request: Request) -> JSONResponse:
        record_id = request.path_params["record_id"]
        try:
            hits = holder.get().similar(record_id, limit=_int_param(request, "limit", 5))
        except KeyError:
            return JSONResponse({"error": f"no record '{record_id}'"}, status_code=404)
        except QueryError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"id": record_id, "results": [h.__dict__ for h in hits]})

    async def api_missing(request: Request) -> JSONResponse:
        return JSONResponse({"error": "not found"}, status_code=404)

    routes: list[Any] = [
        Route("/api/search", api_search),
        Route("/api/similar/{record_id}", api_similar),
        Route("/api/{rest:path}", api_missing),
        Mount("/", app=StaticFiles(directory=str(site_dir), html=True, follow_symlink=False)),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(_Headers)
    return app


def run(site_dir: Path, index_dir: Path, taxonomy: Taxonomy | None, host: str, port: int) -> None:
    import uvicorn

    os.environ.setdefault("PMARCHIVE_SERVING", "1")
    uvicorn.run(
        create_app(site_dir, index_dir, taxonomy),
        host=host,
        port=port,
        log_level="info",
        server_header=False,
        proxy_headers=False,
    )
