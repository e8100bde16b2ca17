"""An HTTP client for tests that speak to the server as a browser would, hop by hop: the plain
login page (tests/ui/test_login_page.py) and the front door (tests/ui/test_frontdoor.py)."""

from __future__ import annotations

import http.client
import itertools
import random
import re
import urllib.parse

from pax_geo.ui import web

_next_client = itertools.count(random.randrange(1 << 16))


class Browser:
    """An HTTP client that keeps the gate's cookie and does not follow redirects (so each hop
    is seen). Each one connects from an address of its own in 127/8, as separate devices
    would: the per-client login limit then counts this module's wrong passwords apart from
    the other tests' sign-ins through the same server."""

    def __init__(self) -> None:
        n = next(_next_client) % (1 << 16)
        self.source = f"127.{100 + n // 256 % 100}.{n % 256}.{random.randrange(2, 250)}"
        self.cookies: dict[str, str] = {}

    def request(
        self,
        url: str,
        data: dict | None = None,
        method: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        parts = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(
            parts.hostname, parts.port, timeout=30, source_address=(self.source, 0)
        )
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method or ("POST" if data is not None else "GET"), path, body, headers)
        r = conn.getresponse()
        raw = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        for value in r.headers.get_all("set-cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        conn.close()
        return r.status, hdrs, raw.decode("utf-8", "replace")

    def cookie(self) -> str | None:
        return self.cookies.get(web.CLIENT_COOKIE)

    def form(self, app_url: str, next_url: str = "/") -> dict:
        status, _, body = self.request(
            f"{app_url}/login?next={urllib.parse.quote(next_url, safe='')}"
        )
        assert status == 200
        return dict(re.findall(r'name="(csrf|next|lang)" value="([^"]*)"', body))

    def sign_in(self, app_url: str, username: str, password: str, next_url: str = "/"):
        fields = self.form(app_url, next_url)
        fields.update(username=username, password=password)
        return self.request(f"{app_url}/login", fields)
