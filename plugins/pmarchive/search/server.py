"""The search API and the built site behind one ASGI app (Starlette), served by uvicorn."""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pmarchive.model.taxonomy import Taxonomy
from pmarchive.search.index import IndexIntegrityError, current_dir
from pmarchive.search.query import QueryError, VocabularyError, check_query
from pmarchive.search.searcher import ArchiveIndex

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",  # no inline script, no eval
        "style-src 'self' 'unsafe-inline'",  # Material and Plotly set inline styles
        # write-ups embed dashboard images from other hosts (the sanitiser keeps https images);
        # an image runs no code
        "img-src 'self' data: https:",
        "font-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'self'",
        "form-action 'self'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
    "Cross-Origin-Opener-Policy": "same-origin",
}
SEARCH_THREADS = 1
"""Worker threads for Whoosh work. Searches queue for this instead of taking the threads that
serve static files, so pages keep flowing while searches wait (the index answers one search at
a time anyway, and a second busy thread only takes the interpreter lock from the event loop)."""
GZIP_MINIMUM_BYTES = 500
SMALL_FILE_BYTES = 1 << 20

T = TypeVar("T")


class _Headers:
    """Security and caching headers on every response (plain ASGI: no buffering of bodies)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = str(scope["path"]).startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", []))
                headers = MutableHeaders(raw=message["headers"])
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if api:
                    headers["Cache-Control"] = "no-store"
                elif message["status"] == 200:
                    headers.setdefault("Cache-Control", "public, max-age=300")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _SiteFiles(StaticFiles):
    """The built site. Pages and assets up to SMALL_FILE_BYTES are read in one call on the
    event loop (microseconds from the page cache) instead of in chunks through worker threads:
    each hand-over to a thread waits for the interpreter lock, which searches keep busy."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        if not isinstance(response, FileResponse) or stat_result.st_size > SMALL_FILE_BYTES:
            return response  # a 304, or a large file streamed as before
        try:
            content = Path(full_path).read_bytes()
        except OSError:
            return response
        headers = {k: v for k, v in response.headers.items() if k != "content-length"}
        return Response(content, status_code, headers=headers)


class IndexUnavailable(Exception):
    """The index cannot answer: not built yet, or it failed its manifest check."""


class _IndexHolder:
    """Reopens the index when a rebuild swaps in a new generation (thread-safe)."""

    def __init__(
        self, base: Path, taxonomy: Taxonomy | None, rebuild: Callable[[], object] | None
    ) -> None:
        self.base = base
        self.taxonomy = taxonomy
        self.rebuild = rebuild
        self._generation: Path | None = None
        self._index: ArchiveIndex | None = None
        self._lock = threading.Lock()

    def get(self) -> ArchiveIndex:
        with self._lock:
            generation = current_dir(self.base)
            if self._index is None or generation != self._generation:
                if self._index is not None:
                    self._index.close()
                    self._index = None
                self._index = self._open()
                self._generation = self._index.directory
            return self._index

    def _open(self) -> ArchiveIndex:
        try:
            return ArchiveIndex(self.base, self.taxonomy)
        except FileNotFoundError:
            raise IndexUnavailable("the search index has not been built") from None
        except IndexIntegrityError as exc:
            if self.rebuild is None:
                raise IndexUnavailable(
                    f"{exc}; it was not opened. Rebuild it ('pmarchive search' or a site build)"
                ) from None
            try:
                self.rebuild()  # from the records on disk; the build checks the manifest again
            except Exception as failure:
                raise IndexUnavailable(f"{exc}; rebuilding it failed: {failure}") from None
        try:
            return ArchiveIndex(self.base, self.taxonomy)
        except (FileNotFoundError, IndexIntegrityError) as exc:
            raise IndexUnavailable(f"the search index could not be rebuilt: {exc}") from None


_PLAIN_NUMBER = re.compile(r"[0-9]{1,6}")


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not _PLAIN_NUMBER.fullmatch(raw):
        raise QueryError(f"{name}: expected a whole number such as {default}, got '{raw[:40]}'")
    return int(raw)


def create_app(
    site_dir: Path,
    index_dir: Path,
    taxonomy: Taxonomy | None = None,
    rebuild: Callable[[], object] | None = None,
) -> Starlette:
    """The site under ``site_dir`` and the search API over the index under ``index_dir``.

    ``rebuild`` (optional) rebuilds the index from the records; it is called when the index
    fails its manifest check. Without it, the API answers 503 until the index is rebuilt.
    """
    holder = _IndexHolder(index_dir, taxonomy, rebuild)
    search_slots = CapacityLimiter(SEARCH_THREADS)

    async def off_the_loop(work: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(work, limiter=search_slots)

    def run_search(query: str, limit: int, page: int, offset: int | None) -> dict[str, Any]:
        return holder.get().search(query, limit=limit, page=page, offset=offset).to_json()

    def run_similar(request: Request, record_id: str) -> list[dict[str, Any]]:
        limit = _int_param(request, "limit", 5)
        return [hit.__dict__ for hit in holder.get().similar(record_id, limit=limit)]

    async def api_search(request: Request) -> JSONResponse:
        try:
            limit = _int_param(request, "limit", 20)
            page = _int_param(request, "page", 1)
            offset = _int_param(request, "offset", 0) if "offset" in request.query_params else None
            query = request.query_params.get("q", "")
            check_query(query, taxonomy)  # a refusal needs no queueing behind searches
            payload = await off_the_loop(functools.partial(run_search, query, limit, page, offset))
        except VocabularyError as exc:  # what was not there, and the closest valid value
            return JSONResponse(exc.to_json(), status_code=400)
        except QueryError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except IndexUnavailable as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        return JSONResponse(payload)

    async def api_similar(request: Request) -> JSONResponse:
        record_id = request.path_params["record_id"]
        try:
            hits = await off_the_loop(functools.partial(run_similar, request, record_id))
        except KeyError:
            return JSONResponse({"error": f"no record '{record_id}'"}, status_code=404)
        except QueryError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except IndexUnavailable as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        return JSONResponse({"id": record_id, "results": hits})

    async def api_missing(request: Request) -> JSONResponse:
        return JSONResponse({"error": "not found"}, status_code=404)

    routes: list[Any] = [
        Route("/api/search", api_search),
        Route("/api/similar/{record_id}", api_similar),
        Route("/api/{rest:path}", api_missing),
        Mount("/", app=_SiteFiles(directory=str(site_dir), html=True, follow_symlink=False)),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES)
    app.add_middleware(_Headers)  # added last, so outermost: it also sees gzip's headers
    return app


def run(
    site_dir: Path,
    index_dir: Path,
    taxonomy: Taxonomy | None,
    host: str,
    port: int,
    rebuild: Callable[[], object] | None = None,
) -> None:
    import uvicorn

    os.environ.setdefault("PMARCHIVE_SERVING", "1")
    uvicorn.run(
        create_app(site_dir, index_dir, taxonomy, rebuild),
        host=host,
        port=port,
        log_level="info",
        server_header=False,
        proxy_headers=False,
    )
