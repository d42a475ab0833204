"""The editor's web app (FastAPI): the page, its assets and the JSON API.

=======================  ======================================================================
``GET /``                the editor page (assets served from the package: nothing from a CDN)
``GET /api/plan``        retailers (id, owner, lock, class, lon/lat, market, district, design
                         facts), owners, figures, edit status, unsaved edits recovered
``GET /api/figures``     the figures and warnings
``POST /api/edits``      one edit (move, lock, unlock, swap, vacant) -> figures, warnings, status
``POST /api/undo``       undo the last edit;  ``POST /api/redo``  redo it
``POST /api/discard``    drop every unsaved edit
``POST /api/optimise``   re-optimise around the edits in the background -> ``{"job": id}``
``GET /api/jobs/{id}``   a job's status, progress and result
``POST /api/save``       a new plan folder in the store -> ``{"plan_dir": absolute path, ...}``
``GET /api/routes``      the opened plan's day routes of one owner (``?manager=&day=``)
``GET /api/territories`` territory outlines of the edited assignment (GeoJSON)
=======================  ======================================================================

Answers are serialised with ``json.dumps`` directly (no per-item encoder walk: a plan of 30 000
retailers is one 5 MB answer). A refused request (unknown retailer or owner, a locked retailer that would move, a malformed
body) answers 4xx with ``{"detail": message}`` and changes nothing. The API docs pages are off.
With a ``token`` (the server sets one when it listens beyond the loopback) every request needs
it: the ``X-Editor-Token`` header, the ``token`` query parameter (the page's first load, which
then sets a cookie) or that cookie. Without one, only loopback host names are accepted (a
defence against DNS rebinding).
"""

from __future__ import annotations

import hmac
import json
from importlib import resources
from pathlib import Path

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.middleware.gzip import GZipMiddleware

from planner.editor.jobs import Jobs
from planner.editor.save import save_session
from planner.editor.session import Session
from planner.editor.source import EditorError
from planner.editor.territories import territory_outlines
from planner.errors import PlannerError

ASSETS = {  # name -> (package folder, media type)
    "editor.js": ("planner.editor", "text/javascript"), "editor.css": ("planner.editor", "text/css"),
    "leaflet-lasso.umd.min.js": ("planner.editor", "text/javascript"),
    "leaflet.js": ("planner.report", "text/javascript"), "leaflet.css": ("planner.report", "text/css"),
    "leaflet-layers.png": ("planner.report", "image/png"), "leaflet-layers-2x.png": ("planner.report", "image/png"),
}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]", "testserver"}
COOKIE = "planner_editor_token"


def asset_path(name: str) -> Path:
    pkg, _ = ASSETS[name]
    return Path(str(resources.files(pkg) / "assets" / name))


def create_app(session: Session, *, token: str | None = None, lang: str = "en") -> FastAPI:
    """The app over ``session`` (see the module docstring)."""
    app = FastAPI(title="planner edit", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    jobs = Jobs(session)
    app.state.session, app.state.jobs = session, jobs

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if token is None:
            host = (request.headers.get("host") or "").rsplit(":", 1)[0] if not (request.headers.get("host") or "").startswith("[") \
                else (request.headers.get("host") or "").split("]")[0] + "]"
            if host not in LOOPBACK_HOSTS:
                return JSONResponse({"detail": f"host {host!r} refused: the editor answers on loopback only"}, 403)
            return await call_next(request)
        given = request.headers.get("x-editor-token") or request.query_params.get("token") or request.cookies.get(COOKIE)
        if not given or not hmac.compare_digest(given, token):
            return JSONResponse({"detail": "a valid token is needed (printed when the editor started)"}, 401)
        response = await call_next(request)
        if request.query_params.get("token"):
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        return response

    @app.exception_handler(EditorError)
    async def editor_error(_request: Request, e: EditorError):
        return JSONResponse({"detail": str(e)}, e.status)

    @app.exception_handler(PlannerError)
    async def planner_error(_request: Request, e: PlannerError):
        return JSONResponse({"detail": str(e)}, 400)

    async def body_of(request: Request) -> object:
        raw = await request.body()
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError as e:
            raise EditorError(f"the body is not valid JSON ({e})") from None

    @app.get("/", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        html = (resources.files("planner.editor") / "assets" / "editor.html").read_text(encoding="utf-8")
        return HTMLResponse(html.replace("{{title}}", f"planner edit: {session.src.plan_id}"),
                            headers={"Cache-Control": "no-store"})

    @app.get("/assets/{name}")
    def asset(name: str) -> Response:
        if name not in ASSETS:
            return JSONResponse({"detail": f"no asset {name!r}"}, 404)
        return FileResponse(asset_path(name), media_type=ASSETS[name][1])

    @app.get("/api/plan")
    def get_plan() -> JSONResponse:
        return JSONResponse(session.plan_json())

    @app.get("/api/figures")
    def get_figures() -> JSONResponse:
        with session.lock:
            return JSONResponse({**session.status_json(), "figures": session.figures_json()})

    @app.post("/api/edits")
    async def post_edit(request: Request) -> JSONResponse:
        body = await body_of(request)
        refuse_while_running(jobs)
        return JSONResponse(await anyio.to_thread.run_sync(session.edit, body))

    @app.post("/api/undo")
    def post_undo() -> JSONResponse:
        refuse_while_running(jobs)
        return JSONResponse(session.undo())

    @app.post("/api/redo")
    def post_redo() -> JSONResponse:
        refuse_while_running(jobs)
        return JSONResponse(session.redo())

    @app.post("/api/discard")
    def post_discard() -> JSONResponse:
        refuse_while_running(jobs)
        return JSONResponse(session.discard())

    @app.post("/api/optimise")
    async def post_optimise(request: Request) -> JSONResponse:
        job = jobs.optimise(await body_of(request))
        return JSONResponse({"job": job.id, **job.json()})

    @app.get("/api/jobs/{job_id}")
    def get_job(job_id: str) -> JSONResponse:
        return JSONResponse(jobs.get(job_id).json())

    @app.post("/api/save")
    async def post_save(request: Request) -> dict:
        body = await body_of(request) or {}
        if not isinstance(body, dict) or set(body) - {"user"}:
            raise EditorError("save takes an optional user only")
        refuse_while_running(jobs)
        saved = await anyio.to_thread.run_sync(lambda: save_session(session, lang=lang, user=body.get("user")))
        return JSONResponse(saved.json())

    @app.get("/api/routes")
    def get_routes(manager: str, day: int | None = None) -> JSONResponse:
        return JSONResponse(session.routes_json(manager, day))

    @app.get("/api/territories")
    def get_territories() -> JSONResponse:
        return JSONResponse(territory_outlines(session))

    return app


def refuse_while_running(jobs: Jobs) -> None:
    if jobs.running is not None:
        raise EditorError(f"re-optimisation (job {jobs.running.id}) is running: wait for it to finish", 409)
