"""``pax serve`` with several Streamlit processes behind nginx. Importable without Streamlit.

One Streamlit process runs every session's script in its own threads under one Python
interpreter lock: on a machine with several cores it uses about one of them, and twenty busy
sessions queue behind each other (bench/bench_sessions.py). So ``pax serve`` starts one
Streamlit process per worker (``PAX_WORKERS``, by default one per core) on loopback ports and
nginx in front of them on the public address and port:

* **Sticky by browser.** A Streamlit session lives in one process (its websocket, its uploads
  and downloads, the hand-over of the plain login page), so nginx picks the process by the
  browser's ``pax_client`` cookie (``hash $cookie_pax_client consistent``, pax_geo.ui.web sets
  the cookie on the first response). A browser without the cookie yet only gets the login
  page, which every process makes and accepts alike (pax_geo.ui.login_page derives its form
  key from the project secret).
* **The real client address.** nginx sends the connection's address as ``X-Forwarded-For``
  (replacing whatever the client sent) and uvicorn, under Streamlit, trusts that header only
  from 127.0.0.1, so the per-client login limit counts browsers, not the proxy.
* **Nothing else changes.** Compression stays in server.py (nginx passes compressed bodies and
  the websocket's permessage-deflate through); nginx buffers nothing of the websocket and keeps
  it open as long as the browser does.

A worker that exits stops the whole service (and its exit code is returned), so a supervisor
(systemd, a container runtime) restarts it whole, never half. nginx's files (its
configuration, pid, temporary files and an access log without query strings) live in
``$PAX_HOME/front/PORT``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pax_geo.config import PROJECT_ROOT, Settings

#: nginx's own access log: who asked for what, answered by which worker (no query strings,
#: no cookies)
LOG_FORMAT = (
    '$remote_addr [$time_local] "$request_method $uri" $status $upstream_addr $request_time'
)


NGINX_MISSING = (
    "nginx is not installed: run make run (it installs it), or sudo apt-get install nginx, "
    "or set PAX_WORKERS=1 to serve one process without it"
)


class FrontError(RuntimeError):
    """The service could not start (nginx missing, a worker that does not come up)."""


def worker_count(cfg: Settings) -> int:
    """PAX_WORKERS, or one per core when it is 0."""
    return cfg.workers or max(1, os.cpu_count() or 1)


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _listen(address: str, port: int) -> str:
    if ":" in address and not address.startswith("["):
        address = f"[{address}]"  # IPv6
    return f"{address}:{port}"


def nginx_config(listen: str, port: int, backends: Sequence[int], run_dir: Path) -> str:
    """nginx's configuration: one server on ``listen:port`` in front of the workers."""
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in backends)
    temp = "\n".join(
        f"    {kind}_temp_path {run_dir / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""# written by pax serve (pax_geo/frontdoor.py) at every start; do not edit
worker_processes 1;
pid {run_dir / "nginx.pid"};
error_log stderr warn;
events {{
    worker_connections 4096;
}}
http {{
    log_format pax '{LOG_FORMAT}';
    access_log {run_dir / "access.log"} pax;
{temp}
    server_tokens off;
    # uploads are limited by Streamlit (server.maxUploadSize) and by the import page
    client_max_body_size 0;
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        '' close;
    }}
    upstream pax_workers {{
        # a browser's session lives in one worker: the same cookie, the same worker
        hash $cookie_pax_client consistent;
{servers}
    }}
    server {{
        listen {_listen(listen, port)};
        location / {{
            proxy_pass http://pax_workers;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            # the connection's own address, never what the client claims
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 1d;
            proxy_send_timeout 1d;
            proxy_buffering off;
            proxy_request_buffering off;
        }}
    }}
}}
"""


def streamlit_argv(port: int, address: str, script: Path | None = None) -> list[str]:
    """The command of one Streamlit process serving server.py (or another script: the tests'
    small apps), headless and without usage statistics."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script or PROJECT_ROOT / "server.py"),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def _wait_healthy(port: int, procs: Sequence[subprocess.Popen], timeout_s: float = 120) -> None:
    url = f"http://127.0.0.1:{port}/_stcore/health"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise FrontError(f"a worker stopped while starting (exit code {p.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise FrontError(f"the worker on port {port} did not answer within {timeout_s:.0f} s")


@dataclass
class Front:
    """The running service: the workers and nginx."""

    workers: list[subprocess.Popen]
    ports: list[int]
    nginx: subprocess.Popen
    run_dir: Path

    @property
    def procs(self) -> list[subprocess.Popen]:
        return [*self.workers, self.nginx]

    def stop(self, timeout_s: float = 10) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()  # nginx: a fast stop (SIGQUIT would wait for open websockets)
        deadline = time.monotonic() + timeout_s
        for p in self.procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def wait(self) -> int:
        """Until one process ends; then stop the others. The first one's exit code."""
        while True:
            for p in self.procs:
                code = p.poll()
                if code is not None:
                    self.stop()
                    return code
            time.sleep(0.5)


def start(
    listen: str,
    port: int,
    workers: int,
    run_dir: Path,
    env: dict[str, str] | None = None,
    worker_log: Path | None = None,
) -> Front:
    """Start ``workers`` Streamlit processes and nginx on ``listen:port``; nginx's files in
    ``run_dir``; the workers' output to ``worker_log`` (default: this process's stderr)."""
    binary = nginx_binary()
    if binary is None:
        raise FrontError(NGINX_MISSING)
    run_dir.mkdir(parents=True, exist_ok=True)
    child_env = {**os.environ, **(env or {})}
    out = worker_log.open("a") if worker_log is not None else None
    procs: list[subprocess.Popen] = []
    ports: list[int] = []
    try:
        for _ in range(workers):
            ports.append(free_port())
            procs.append(
                subprocess.Popen(
                    streamlit_argv(ports[-1], "127.0.0.1"),
                    cwd=PROJECT_ROOT,
                    env=child_env,
                    # Streamlit's "You can now view your app" names the worker's own port
                    stdout=out or subprocess.DEVNULL,
                    stderr=out,
                )
            )
        for worker_port in ports:
            _wait_healthy(worker_port, procs)
        conf = run_dir / "nginx.conf"
        conf.write_text(nginx_config(listen, port, ports, run_dir))
        procs.append(
            subprocess.Popen(
                [binary, "-p", str(run_dir), "-c", str(conf), "-g", "daemon off;"],
                cwd=run_dir,
                env=child_env,
                stderr=out,
            )
        )
    except BaseException:
        for proc in procs:
            proc.kill()
            proc.wait()
        raise
    finally:
        if out is not None:
            out.close()
    front = Front(procs[:-1], ports, procs[-1], run_dir)
    try:
        _wait_listening(listen, port, front.nginx)
    except BaseException:
        front.stop()
        raise
    return front


def _wait_listening(address: str, port: int, nginx: subprocess.Popen) -> None:
    host = "127.0.0.1" if address in ("0.0.0.0", "") else address  # noqa: S104
    host = "::1" if host == "::" else host
    for _ in range(100):
        if nginx.poll() is not None:
            raise FrontError(f"nginx stopped at start (exit code {nginx.returncode})")
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise FrontError(f"nginx does not listen on {address}:{port}")


def run(cfg: Settings, port: int, workers: int) -> int:
    """Serve until interrupted or until a process ends; the exit code."""

    def _stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    # before anything starts: a stop that comes while starting still stops what has started
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    front = start(cfg.listen_address, port, workers, cfg.home / "front" / str(port))
    try:
        return front.wait()
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        front.stop()
