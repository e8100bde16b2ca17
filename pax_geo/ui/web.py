"""The HTTP gate in front of the Streamlit app (Streamlit 1.67's own ``st.App`` middleware).

Streamlit serves some things outside the signed-in websocket session: ``/_stcore/metrics``
(active sessions, which cached analyses ran) and ``/media/…`` (download files, addressed by a
hash of their content). :class:`SecurityMiddleware` closes both and sends the usual headers:

* every HTTP response gets ``Content-Security-Policy: frame-ancestors 'self'``,
  ``X-Frame-Options: SAMEORIGIN``, ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: same-origin`` and ``Cross-Origin-Opener-Policy: same-origin``;
* ``/_stcore/metrics`` is refused (404) to everyone: nothing in Pax reads it;
* each browser gets a random HttpOnly, SameSite=Strict cookie (:data:`CLIENT_COOKIE`). The
  script sees it through ``st.context.cookies`` (the websocket handshake carries it) and, while
  someone is signed in, registers it with that session's token (:func:`register_client`);
* ``/media/…`` and the street map's ``/basemap/…`` are served only to a request whose cookie
  belongs to a session the database still accepts (``pax_api.session_touch``); anything else
  gets 403. Every download (a response
  with ``Content-Disposition: attachment``) is audited (``export``, ``served: true``) through the signed-in
  role's own login, bound to its session, with the file name;
* a browser that opens one of the app's pages (``/`` or ``/<page>``) without having just
  signed in is sent to the plain login page ``/login`` (pax_geo.ui.login_page), which loads in
  a second on a slow connection while Streamlit's own boot takes eight. A successful sign-in
  there hands its session to this browser's next Streamlit session once
  (:func:`hand_over`, :func:`take_handoff`), then sends the browser on to the page it asked for.

The registries are process-local, like Streamlit's sessions themselves.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, quote, unquote

from pax_geo import auth
from pax_geo.config import settings
from pax_geo.pages import PAGES

CLIENT_COOKIE = "pax_client"
_COOKIE_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", b"frame-ancestors 'self'; base-uri 'self'; object-src 'none'"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


@dataclass
class _Grant:
    token: str
    role: str
    username: str
    seen: float


_lock = threading.Lock()
#: sha256(cookie) -> {sha256(session token): grant}
_clients: dict[str, dict[str, _Grant]] = {}


def _h(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def valid_cookie(value: str | None) -> bool:
    return bool(value) and bool(_COOKIE_RE.fullmatch(str(value)))


def register_client(cookie: str | None, token: str | None, role: str, username: str) -> bool:
    """Let this browser (its cookie) fetch downloads while the session ``token`` lives."""
    if not valid_cookie(cookie) or not token:
        return False
    now = time.time()
    horizon = now - settings().session_idle_minutes * 60
    with _lock:
        for key in list(_clients):
            grants = _clients[key]
            for tk in [k for k, g in grants.items() if g.seen < horizon]:
                del grants[tk]
            if not grants:
                del _clients[key]
        _clients.setdefault(_h(str(cookie)), {})[_h(token)] = _Grant(token, role, username, now)
    return True


def forget_client(cookie: str | None, token: str | None) -> None:
    """The session ``token`` ended (sign-out, expiry): this browser loses its grant."""
    if not valid_cookie(cookie) or not token:
        return
    with _lock:
        grants = _clients.get(_h(str(cookie)))
        if grants is not None:
            grants.pop(_h(token), None)
            if not grants:
                _clients.pop(_h(str(cookie)), None)


#: How long a sign-in on the plain login page waits for the browser's Streamlit session to take
#: it over (Streamlit's first load on Slow 4G with an empty cache takes about ten seconds).
HANDOFF_SECONDS = 180.0


@dataclass
class _Handoff:
    result: auth.LoginResult
    lang: str
    until: float


#: sha256(cookie) -> the sign-in waiting for this browser's next Streamlit session
_handoffs: dict[str, _Handoff] = {}


def hand_over(cookie: str | None, result: auth.LoginResult, lang: str) -> bool:
    """Keep a successful sign-in of the plain login page for this browser's Streamlit session
    (the next one to ask, once; a newer sign-in replaces an older one)."""
    if not valid_cookie(cookie) or not result.ok:
        return False
    now = time.monotonic()
    with _lock:
        for key in [k for k, h in _handoffs.items() if h.until < now]:
            del _handoffs[key]
        _handoffs[_h(str(cookie))] = _Handoff(result, lang, now + HANDOFF_SECONDS)
    return True


def has_handoff(cookie: str | None) -> bool:
    if not valid_cookie(cookie):
        return False
    with _lock:
        handoff = _handoffs.get(_h(str(cookie)))
    return handoff is not None and handoff.until >= time.monotonic()


def take_handoff(cookie: str | None) -> tuple[auth.LoginResult, str] | None:
    """The sign-in waiting for this browser, removed as it is taken; None if there is none or
    it waited too long."""
    if not valid_cookie(cookie):
        return None
    with _lock:
        handoff = _handoffs.pop(_h(str(cookie)), None)
    if handoff is None or handoff.until < time.monotonic():
        return None
    return handoff.result, handoff.lang


def base_path() -> str:
    """Streamlit's ``server.baseUrlPath`` as a path prefix ("" or "/<base>")."""
    from streamlit import config as st_config

    base = str(st_config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def page_path(path: str, base: str | None = None) -> bool:
    """True for the URLs Streamlit answers with the app itself: ``/`` and ``/<page key>``."""
    base = base_path() if base is None else base
    if base and not path.startswith(base):
        return False
    rest = path[len(base) :].strip("/")
    return rest == "" or rest in {p.key for p in PAGES}


def safe_next(value: str | None, base: str | None = None) -> str:
    """Where to go after signing in: one of the app's own pages (with its query), else home.
    Never another site: no scheme, no host, no ``//``."""
    base = base_path() if base is None else base
    home = base + "/"
    if not value:
        return home
    target = str(value)
    path, _, query = target.partition("?")
    if not path.startswith("/") or path.startswith("//") or "\\" in target:
        return home
    if any(ord(ch) < 33 or ord(ch) > 126 for ch in target):
        return home
    if not page_path(path, base):
        return home
    return path + (f"?{query}" if query else "")


def _login_redirect(scope) -> str | None:
    """The login page's URL for a request that must sign in first, or None to let it through:
    only GET/HEAD of an app page, without a sign-in waiting for this browser, outside the
    single sign-on flow (``?sso=1`` and Streamlit's own identity cookie pass)."""
    if scope.get("method") not in ("GET", "HEAD"):
        return None
    base = base_path()
    path = scope.get("path", "")
    if not page_path(path, base):
        return None
    query = (scope.get("query_string") or b"").decode("latin-1")
    if "1" in parse_qs(query).get("sso", []):
        return None
    names = {n for n, _ in _cookies(list(scope.get("headers") or []))}
    if "_streamlit_user" in names:
        return None
    if has_handoff(_cookie(list(scope.get("headers") or []))):
        return None
    target = path + (f"?{query}" if query else "")
    return f"{base}/login?next={quote(target, safe='')}"


def is_media_path(path: str, base_url_path: str | None = None) -> bool:
    """True for Streamlit's download endpoint ``[/<base>]/media/<file>`` only: its own static
    assets (``/static/media/…``: fonts, images) are public and must not be gated."""
    if base_url_path is None:
        from streamlit import config as st_config

        base_url_path = str(st_config.get_option("server.baseUrlPath") or "")
    base = base_url_path.strip("/")
    return path.startswith(f"/{base}/media/" if base else "/media/")


def live_grant(cookie: str | None) -> _Grant | None:
    """A grant of this browser whose session the database still accepts (and touches)."""
    if not valid_cookie(cookie):
        return None
    with _lock:
        grants = list(_clients.get(_h(str(cookie)), {}).values())
    for grant in sorted(grants, key=lambda g: -g.seen):
        try:
            check = auth.touch_session(grant.token)
        except Exception:  # database unreachable: refuse rather than serve
            return None
        if check.status == "ok" and check.account and check.account.role == grant.role:
            grant.seen = time.time()
            return grant
        forget_client(cookie, grant.token)
    return None


def _cookies(headers: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for name, value in headers:
        if name == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:
                continue
            found.extend((k, m.value) for k, m in jar.items())
    return found


def _cookie(headers: list[tuple[bytes, bytes]]) -> str | None:
    return next((v for k, v in _cookies(headers) if k == CLIENT_COOKIE), None)


def _attachment_name(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"content-disposition":
            text = value.decode("latin-1")
            if not text.lower().startswith("attachment"):
                return None
            m = re.search(r"filename\*=UTF-8''([^;]+)", text) or re.search(
                r'filename="?([^";]+)"?', text
            )
            return unquote(m.group(1))[:200] if m else ""
    return None


class SecurityMiddleware:
    """Pure ASGI middleware (websockets pass through untouched). With ``login_page`` (the app
    mounts pax_geo.ui.login_page) page loads that have not just signed in go to ``/login``."""

    def __init__(self, app, login_page: bool = False) -> None:
        self.app = app
        self.login_page = login_page

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or [])
        cookie = _cookie(headers)
        new_cookie = None if valid_cookie(cookie) else secrets.token_urlsafe(32)
        secure = scope.get("scheme") == "https"

        def decorate(message_headers: list) -> list:
            out = [(k, v) for k, v in message_headers if k.lower() not in dict(SECURITY_HEADERS)]
            out.extend(SECURITY_HEADERS)
            if new_cookie:
                attrs = f"{CLIENT_COOKIE}={new_cookie}; Path=/; HttpOnly; SameSite=Strict"
                out.append((b"set-cookie", (attrs + ("; Secure" if secure else "")).encode()))
            return out

        async def refuse(status: int, body: bytes) -> None:
            hdrs = [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ]
            await send({"type": "http.response.start", "status": status, "headers": decorate(hdrs)})
            await send({"type": "http.response.body", "body": body})

        if re.search(r"/_stcore/metrics/?$", path):
            await refuse(404, b"Not found\n")
            return
        # the plain login page needs this browser's cookie, also on its very first visit
        scope["pax_client"] = cookie if new_cookie is None else new_cookie
        scope["pax_cookie_sent"] = new_cookie is None
        login_url = _login_redirect(scope) if self.login_page else None
        if login_url is not None:
            hdrs = [
                (b"location", login_url.encode("latin-1")),
                (b"content-length", b"0"),
                (b"cache-control", b"no-store"),
            ]
            await send({"type": "http.response.start", "status": 303, "headers": decorate(hdrs)})
            await send({"type": "http.response.body", "body": b""})
            return
        grant = None
        # the street map's style and own tiles (pax_geo.basemap): only for signed-in browsers,
        # since a tile template may carry the municipality's key; cached as the route says
        street_map = path.startswith("/basemap/")
        if is_media_path(path) or street_map:
            from starlette.concurrency import run_in_threadpool

            grant = await run_in_threadpool(live_grant, cookie)
            if grant is None:
                await refuse(403, b"Sign in to download.\n")
                return
            if street_map:
                grant = None

        async def send_wrapped(message) -> None:
            if message["type"] == "http.response.start":
                hdrs = list(message.get("headers") or [])
                if grant is not None:
                    hdrs = [(k, v) for k, v in hdrs if k.lower() != b"cache-control"]
                    hdrs.append((b"cache-control", b"private, no-store"))
                    name = _attachment_name(hdrs)
                    if name is not None and message.get("status", 200) < 300:
                        await _audit_download(grant, name, path)
                message = {**message, "headers": decorate(hdrs)}
            await send(message)

        await self.app(scope, receive, send_wrapped)


async def _audit_download(grant: _Grant, file_name: str, path: str) -> None:
    from starlette.concurrency import run_in_threadpool

    await run_in_threadpool(
        auth.write_audit,
        "export",
        None,
        {"file": file_name, "media": path.rsplit("/", 1)[-1][:80], "served": True},
        role=grant.role,
        token=grant.token,
        username=grant.username,
    )
