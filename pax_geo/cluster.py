"""The embedded PostgreSQL + PostGIS cluster that the project starts and owns.

The cluster lives in ``<PAX_HOME>/pgdata``, listens on 127.0.0.1 only, and authenticates with
SCRAM passwords. Its superuser password is generated once and kept in ``<PAX_HOME>/secret``
(mode 600, git-ignored). PostgreSQL refuses to run as root, so as root the server runs as the
``postgres`` system user.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from pax_geo.config import Settings, settings


class ClusterError(RuntimeError):
    """A problem with the embedded cluster, phrased as what is wrong and what to do."""


@dataclass(frozen=True)
class Status:
    initialised: bool
    running: bool
    port: int
    detail: str


def _bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    for cand in candidates:
        bindir = Path(cand).parent
        version = bindir.parent.name
        if Path(f"/usr/share/postgresql/{version}/extension/postgis.control").exists():
            return bindir
    if candidates:
        raise ClusterError(
            "PostGIS is missing for PostgreSQL "
            f"{Path(candidates[0]).parent.parent.name}. Install it: "
            "sudo apt-get install postgresql-15-postgis-3 (or run 'make run', which does)."
        )
    raise ClusterError(
        "PostgreSQL is not installed. Install it: sudo apt-get install postgresql "
        "postgresql-15-postgis-3 (or run 'make run', which does). "
        "Or set DATABASE_URL to use an existing PostGIS."
    )


def _as_root() -> bool:
    return os.geteuid() == 0


def _run_as_server_user(args: list[str], **kw) -> subprocess.CompletedProcess:
    if _as_root():
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, capture_output=True, text=True, **kw)


def _chown_server(path: Path) -> None:
    if _as_root():
        pw = pwd.getpwnam("postgres")
        os.chown(path, pw.pw_uid, pw.pw_gid)


def secret_path(cfg: Settings | None = None) -> Path:
    return (cfg or settings()).home / "secret"


def superuser_password(cfg: Settings | None = None) -> str:
    path = secret_path(cfg)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(24))
    return path.read_text().strip()


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def status(cfg: Settings | None = None) -> Status:
    cfg = cfg or settings()
    if not (cfg.pgdata / "PG_VERSION").exists():
        return Status(False, False, cfg.pg_port, f"no cluster in {cfg.pgdata}")
    res = _run_as_server_user([str(_bindir() / "pg_ctl"), "-D", str(cfg.pgdata), "status"])
    running = res.returncode == 0
    detail = "running" if running else "stopped"
    return Status(True, running, cfg.pg_port, f"{detail} ({cfg.pgdata}, port {cfg.pg_port})")


def init(cfg: Settings | None = None) -> None:
    cfg = cfg or settings()
    if (cfg.pgdata / "PG_VERSION").exists():
        return
    bindir = _bindir()
    cfg.home.mkdir(parents=True, exist_ok=True)
    if _as_root():
        os.chmod(cfg.home, 0o711)  # the server user must reach its data directory
    password = superuser_password(cfg)
    cfg.pgdata.mkdir(parents=True, exist_ok=True)
    cfg.pg_run.mkdir(parents=True, exist_ok=True)
    os.chmod(cfg.pgdata, 0o700)
    _chown_server(cfg.pgdata)
    _chown_server(cfg.pg_run)
    pwfile = cfg.pg_run / "initpw"
    pwfile.write_text(password)
    _chown_server(pwfile)
    try:
        res = _run_as_server_user(
            [
                str(bindir / "initdb"),
                "-D",
                str(cfg.pgdata),
                "-U",
                "postgres",
                f"--pwfile={pwfile}",
                "--auth-local=scram-sha-256",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
        )
    finally:
        pwfile.unlink(missing_ok=True)
    if res.returncode != 0:
        shutil.rmtree(cfg.pgdata, ignore_errors=True)
        raise ClusterError(f"initdb failed: {res.stderr.strip() or res.stdout.strip()}")
    conf = cfg.pgdata / "postgresql.conf"
    with conf.open("a") as fh:
        fh.write(
            "\n# Pax lägesbild embedded cluster\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{cfg.pg_run}'\n"
            "timezone = 'Europe/Stockholm'\n"
            "shared_buffers = '512MB'\n"
            "work_mem = '64MB'\n"
            "maintenance_work_mem = '256MB'\n"
            "max_connections = 200\n"
            "synchronous_commit = off\n"
            "max_wal_size = '2GB'\n"
            "jit = off\n"
        )


def start(cfg: Settings | None = None, timeout: float = 60) -> Status:
    cfg = cfg or settings()
    st = status(cfg)
    if st.running:
        return st
    if port_in_use(cfg.pg_port):
        raise ClusterError(
            f"Port {cfg.pg_port} on 127.0.0.1 is in use by another program. "
            "Stop it, or choose another port: PAX_PG_PORT=54330 make run"
        )
    init(cfg)
    log = cfg.pg_run / "postgres.log"
    res = _run_as_server_user(
        [
            str(_bindir() / "pg_ctl"),
            "-D",
            str(cfg.pgdata),
            "-l",
            str(log),
            "-o",
            f"-p {cfg.pg_port}",
            "-w",
            "-t",
            str(int(timeout)),
            "start",
        ]
    )
    if res.returncode != 0:
        tail = ""
        if log.exists():
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-8:])
        raise ClusterError(f"PostgreSQL did not start: {res.stderr.strip()}\n{tail}")
    deadline = time.monotonic() + timeout
    while not port_in_use(cfg.pg_port):
        if time.monotonic() > deadline:
            raise ClusterError(f"PostgreSQL started but does not listen on port {cfg.pg_port}")
        time.sleep(0.1)
    return status(cfg)


def stop(cfg: Settings | None = None) -> Status:
    cfg = cfg or settings()
    st = status(cfg)
    if st.running:
        res = _run_as_server_user(
            [str(_bindir() / "pg_ctl"), "-D", str(cfg.pgdata), "-m", "fast", "-w", "stop"]
        )
        if res.returncode != 0:
            raise ClusterError(f"PostgreSQL did not stop: {res.stderr.strip()}")
    return status(cfg)
