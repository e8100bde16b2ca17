"""Login and session overheads on the dev database (prints figures; asserts nothing).

    .venv/bin/python bench/bench_auth.py [rounds]

* argon2id hash and verify (argon2-cffi defaults);
* a full password login through pax_auth (lookup, verify, session);
* a login with an unknown name (verified against a dummy hash, counted for lockout);
* the per-run session check (session_touch), and binding a reader connection.
"""

from __future__ import annotations

import statistics
import sys
import time

from sqlalchemy import text

from pax_geo import auth, db


def timed(fn, rounds: int) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), max(samples)


def main(rounds: int = 20) -> None:
    res = auth.authenticate("polis", auth.DEMO_PASSWORD)
    if not res.ok:
        sys.exit("demo account 'polis' missing: run 'pax demo' first")
    h = auth.hash_password("benchmark password")

    def bound_query() -> None:
        with auth.reader_connection("field_worker", res2.token, "falt1") as c:
            c.execute(text("select count(*) from pax_api.observation")).scalar()

    def plain_query() -> None:
        with db.reader_engine("field_worker").connect() as c:
            c.execute(text("select count(*) from pax_api.observation")).scalar()

    res2 = auth.authenticate("falt1", auth.DEMO_PASSWORD)
    cases = {
        "argon2 hash": lambda: auth.hash_password("benchmark password"),
        "argon2 verify": lambda: auth.verify_password(h, "benchmark password"),
        "login ok (pax_auth, verify, session)": lambda: auth.authenticate(
            "polis", auth.DEMO_PASSWORD
        ),
        "login unknown name": lambda: auth.authenticate("no-such-user", "whatever password"),
        "session_touch per run": lambda: auth.touch_session(res.token),
        "reader query, session-bound": bound_query,
        "reader query, unbound": plain_query,
    }
    print(f"{'case':<40} {'median ms':>10} {'max ms':>8}   ({rounds} rounds)")
    for name, fn in cases.items():
        med, worst = timed(fn, rounds)
        print(f"{name:<40} {med:>10.1f} {worst:>8.1f}")
    for r in (res, res2):
        auth.end_session(r.token, "bench")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
