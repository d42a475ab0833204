"""Serving the editor: open the plan, start uvicorn on the chosen address, print the address
(and the access token when it listens beyond the loopback) and open the browser."""

from __future__ import annotations

import ipaddress
import secrets
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

from planner.editor.app import create_app
from planner.editor.session import Session
from planner.editor.source import open_plan
from planner.errors import PlannerError, Progress


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(plan_dir: Path, *, host: str = "127.0.0.1", port: int = 8765, open_browser: bool = True,
          store: Path | None = None, user: str | None = None, lang: str = "en", progress: Progress | None = None,
          say: Callable[[str], None] = print) -> None:
    """Open ``plan_dir`` and serve the editor until interrupted."""
    import uvicorn

    if not 0 < port < 65536:
        raise PlannerError(f"--port must be between 1 and 65535, got {port}")
    progress = progress or Progress()
    progress.step(f"Opening {plan_dir}")
    session = Session(open_plan(plan_dir, store=store, progress=progress), user=user)
    token = None if is_loopback(host) else secrets.token_urlsafe(18)
    app = create_app(session, token=token, lang=lang)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}/" + (f"?token={token}" if token else "")
    if session.recovered:
        say(f"{session.recovered['edits']} unsaved edits of an earlier session were restored (the page offers to "
            "keep or discard them)")
    say(f"editing {session.src.folder}\nsaved plans go to {session.src.store}\neditor: {url}")
    if token:
        say(f"listening on {host}: every request needs the token {token}")
    say("press Ctrl+C to stop (unsaved edits are kept for the next time this plan is opened)")
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    if open_browser:
        def opener() -> None:
            import time

            for _ in range(200):
                if server.started:
                    webbrowser.open(url)
                    return
                time.sleep(0.05)

        threading.Thread(target=opener, daemon=True).start()
    server.run()
