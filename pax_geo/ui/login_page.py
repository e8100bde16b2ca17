"""The plain login page at ``/login``: one small HTML document (about 3 KB compressed, no
script), served by the app's own server before any of Streamlit loads.

Why: Streamlit's own boot is about 1.2 MB of scripts and fonts; on a tablet over Slow 4G that
is eight seconds before its login form can be used. This page is usable in about one, and while
the user types it asks the browser to fetch Streamlit's start-up files at the lowest priority
(``rel=prefetch``), so the app after signing in starts from a warm cache.

The sign-in itself is the Streamlit form's (:func:`pax_geo.auth.attempt.password_attempt`: the
same lockouts, messages and audit rows). On success the new session is handed to this browser's
next Streamlit session (:func:`pax_geo.ui.web.hand_over`, keyed by the browser's HttpOnly
cookie, taken once) and the browser goes on to the page it first asked for. The form carries a
token tied to that cookie, so another site cannot sign a browser in behind its back.

The Streamlit login form stays: it is what a session that signs out (or whose hand-over ran
out) shows, and what AppTest drives. Needs no Streamlit here: ``server.py`` mounts
:func:`routes` beside the app and the gate (pax_geo.ui.web) sends page loads here.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs, quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from pax_geo import auth, db, i18n
from pax_geo.auth.attempt import password_attempt
from pax_geo.pages import home_for
from pax_geo.ui import web

PATH = "/login"
#: the largest form body read (a user name and a password of the allowed lengths fit easily)
MAX_BODY = 8192


@lru_cache(maxsize=1)
def _form_key() -> bytes:
    """The key of the form tokens, derived from the project secret: every server process of an
    installation (``pax serve`` with several workers behind nginx) makes and accepts the same
    tokens, also across a restart."""
    return hmac.new(db.project_secret().encode(), b"pax-login-form", hashlib.sha256).digest()


def form_token(cookie: str) -> str:
    """The form's token for this browser: an HMAC of its cookie, so a form posted from
    another site (which cannot read the page) fails."""
    return hmac.new(_form_key(), cookie.encode(), hashlib.sha256).hexdigest()[:40]


@lru_cache(maxsize=1)
def startup_files() -> tuple[str, ...]:
    """The files Streamlit's own page loads first (its script, module preloads, style sheet
    and fonts), read from the index.html Streamlit ships: the login page prefetches them."""
    import streamlit

    index = Path(streamlit.__file__).with_name("static") / "index.html"
    try:
        text = index.read_text(encoding="utf-8")
    except OSError:
        return ()
    found = re.findall(r'(?:src|href)="\./(static/[^"]+\.(?:js|css|woff2))"', text)
    # and the icon font its style sheet names (every page's menu draws its icons with it: at
    # 366 KB the largest file after signing in)
    for sheet in [f for f in found if f.endswith(".css")]:
        try:
            css = (index.parent / sheet).read_text(encoding="utf-8")
        except OSError:
            continue
        fonts = re.findall(r"url\(\.\./media/(MaterialSymbols-Rounded[^)]*\.woff2)\)", css)
        found += [f"static/media/{f}" for f in fonts]
    return tuple(dict.fromkeys(found))


def _lang(value: str | None) -> str:
    return value if value in i18n.LANGS else i18n.DEFAULT_LANG


def _sso_configured() -> bool:
    try:
        from pax_geo.ui.login import sso_providers

        return bool(sso_providers())
    except Exception:
        return False


STYLE = """
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2430;--muted:#5b6270;--line:#c8ccd4;
--accent:#b4232a;--onaccent:#fff;--field:#f4f5f7;--err:#8f1d21;--errbg:#fde8e8}
@media (prefers-color-scheme:dark){:root{--bg:#0e1117;--fg:#f1f2f4;--muted:#a9afbb;
--line:#3b4150;--accent:#ff6b6b;--onaccent:#0e1117;--field:#1b1f29;--err:#ffd2d2;--errbg:#4a1c1f}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
main{max-width:28rem;margin:0 auto;padding:2.5rem 1.25rem}
h1{font-size:2rem;margin:0 0 .25rem}
h2{font-size:1.3rem;margin:1.5rem 0 .75rem}
.sub,.note{color:var(--muted)}.note{font-size:.9rem;margin-top:1.5rem}
.lang{display:inline-block;min-height:44px;line-height:44px;color:var(--fg)}
label{display:block;margin:.9rem 0 .3rem;font-weight:600}
input{width:100%;min-height:48px;padding:.6rem .75rem;font:inherit;color:var(--fg);
background:var(--field);border:1px solid var(--line);border-radius:.5rem}
input:focus{outline:3px solid var(--accent);outline-offset:1px}
button,.sso{display:block;width:100%;min-height:48px;margin-top:1.4rem;font:inherit;
font-weight:600;border-radius:.5rem;text-align:center}
button{color:var(--onaccent);background:var(--accent);border:0;cursor:pointer}
.sso{line-height:48px;color:var(--fg);border:1px solid var(--line);text-decoration:none}
.msg{margin:1rem 0 0;padding:.75rem 1rem;border-radius:.5rem;background:var(--errbg);
color:var(--err)}
"""


def render(
    lang: str,
    cookie: str,
    next_url: str,
    *,
    message: str | None = None,
    username: str = "",
    sso: bool = False,
) -> str:
    """The page's HTML (every value escaped)."""

    def t(key: str, **fmt: object) -> str:
        return html.escape(i18n.t(key, lang, **fmt))

    other = "en" if lang == "sv" else "sv"
    nxt = html.escape(next_url)
    base = html.escape(web.base_path())  # "" unless Streamlit serves under a path
    switch = f"{base}{PATH}?lang={other}&amp;next={html.escape(quote(next_url, safe=''))}"
    alert = f'<p class="msg" role="alert">{html.escape(message)}</p>' if message else ""
    sso_link = (
        f'<a class="sso" href="{html.escape(web.safe_next(next_url))}'
        f'{"&amp;" if "?" in next_url else "?"}sso=1">{t("login_sso_link")}</a>'
        if sso
        else ""
    )
    prefetch = "".join(
        f'<link rel="prefetch" href="{base}/{html.escape(f)}" crossorigin>' for f in startup_files()
    )
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{t("login_page_title")}</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 100 100'%3E%3Ctext y='.9em' font-size='90'%3E%F0%9F%9B%A1%EF%B8%8F%3C/text%3E%3C/svg%3E">
<style>{STYLE}</style></head>
<body><main>
<h1>{t("app_title")}</h1>
<p class="sub">{t("app_subtitle")}</p>
<a class="lang" href="{switch}" hreflang="{other}">{t("login_other_lang")}</a>
{alert}
<form method="post" action="{base}{PATH}" autocomplete="on">
<h2>{t("login_heading")}</h2>
<input type="hidden" name="csrf" value="{form_token(cookie)}">
<input type="hidden" name="next" value="{nxt}">
<input type="hidden" name="lang" value="{lang}">
<label for="username">{t("login_username")}</label>
<input id="username" name="username" value="{html.escape(username)}" maxlength="128"
 autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus>
<label for="password">{t("login_password")}</label>
<input id="password" name="password" type="password" maxlength="{auth.MAX_PASSWORD_LENGTH}"
 autocomplete="current-password" required>
<button type="submit">{t("login_submit")}</button>
</form>
{sso_link}
<p class="note">{t("login_privacy_note")}</p>
</main>{prefetch}</body></html>
"""


def landing(next_url: str, role: str) -> str:
    """Where the browser goes after signing in: the page it asked for, except that the role's
    start page is the app's root (Streamlit serves its default page only there, and answers
    ``/<default page>`` with "Page not found")."""
    path, _, query = next_url.partition("?")
    base, _, key = path.rstrip("/").rpartition("/")
    if key and key == home_for(role):
        return f"{base}/" + (f"?{query}" if query else "")
    return next_url


def _page(html_text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        html_text,
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


async def _show(request: Request) -> Response:
    lang = _lang(request.query_params.get("lang"))
    next_url = web.safe_next(request.query_params.get("next"))
    cookie = str(request.scope.get("pax_client") or "")
    return _page(render(lang, cookie, next_url, sso=_sso_configured()))


def _client(request: Request) -> str:
    """The connection's address, as the Streamlit form counts it (loopback is 127.0.0.1)."""
    return request.client.host if request.client and request.client.host else "127.0.0.1"


def _outage(exc: BaseException) -> bool:
    from pax_geo.ui import dbstatus

    return dbstatus.is_outage(exc)


async def _submit(request: Request) -> Response:
    body = b""
    async for chunk in request.stream():  # read no more than a form can hold
        body += chunk
        if len(body) > MAX_BODY:
            return Response(b"Too large\n", status_code=413, media_type="text/plain")
    fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    lang = _lang(fields.get("lang"))
    next_url = web.safe_next(fields.get("next"))
    cookie = str(request.scope.get("pax_client") or "")
    username = fields.get("username", "")[:128]

    def again(message: str, status: int) -> HTMLResponse:
        shown = render(lang, cookie, next_url, message=message, username=username)
        return _page(shown, status)

    if not request.scope.get("pax_cookie_sent"):
        return again(i18n.t("login_cookies", lang), 400)
    if not hmac.compare_digest(fields.get("csrf", ""), form_token(cookie)):
        return again(i18n.t("login_stale", lang), 400)
    try:
        attempt = await run_in_threadpool(
            password_attempt, username, fields.get("password", ""), _client(request)
        )
        if attempt.ok and attempt.result is not None:
            result = attempt.result
            assert result.account is not None
            await run_in_threadpool(
                auth.write_audit,
                "login",
                None,
                {"method": "password", "form": "plain"},
                role=result.account.role,
                token=result.token,
                username=result.account.username,
            )
    except Exception as exc:
        if not await run_in_threadpool(_outage, exc):
            raise
        from pax_geo.ui.dbstatus import database_location

        where = i18n.t("db_unreachable", lang, where=database_location())
        return again(f"{where} {i18n.t('db_unreachable_login_body', lang)}", 503)
    if not attempt.ok or attempt.result is None:
        message = i18n.t(attempt.message or "login_invalid", lang, minutes=attempt.minutes or 1)
        return again(message, 401 if attempt.message != "login_missing" else 400)
    web.hand_over(cookie, attempt.result, lang)
    target = landing(next_url, attempt.result.account.role if attempt.result.account else "")
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


def routes() -> list[Route]:
    """The login page (GET/HEAD) and its form (POST)."""
    return [
        Route(PATH, _show, methods=["GET", "HEAD"]),
        Route(PATH, _submit, methods=["POST"]),
    ]
