"""Benchmark Lägesbild för styrelsen: figures, slides, PPTX and PDF; prints figures.

    .venv/bin/python bench/bench_board.py [--incidents 1000000] [--keep]

Creates its own database (pax_bench_board) on the configured server, loads the demo data set
with the given number of incidents (4,000 is the demo database's size), signs in the demo
police analyst and times, for the default period (the last 90 days) and for a whole tertial:

1. the figures read from the database (board-level release: counts per area x type for three
   periods, the weekday x time pattern, observations, walks, indicators, operations);
2. composing the slides (including the maps and the pattern drawn with matplotlib);
3. the PPTX and the PDF, with their sizes;
4. everything an export click costs when the figures are cached (slides + file).

Best of a few runs after one warm-up. No figure is asserted: the script prints what it measures.
"""

from __future__ import annotations

import json

from support import best, scratch_arguments, scratch_database, signed_in

from pax_geo.board import figures, periods, slides
from pax_geo.board.pdf_export import to_pdf
from pax_geo.board.pptx_export import to_pptx
from pax_geo.clock import now as clock_now
from pax_geo.clock import today

DB = "pax_bench_board"


def main() -> int:
    args = scratch_arguments(1_000_000)
    with scratch_database(DB, args.incidents, keep=args.keep) as s:
        print(s.loaded)
        measure()
    return 0


def measure() -> None:
    now = clock_now()
    y, t = periods.recent_tertials(today())[0]
    cases = {
        "last 90 days": periods.of_days(*periods.since_last(None, today())),
        f"tertial {y} T{t}": periods.of_days(*periods.clip_to(*periods.tertial(y, t), today())),
    }
    rows = []
    with signed_in("police_analyst") as c:
        for name, ps in cases.items():
            fig = figures.build(c, ps, now)
            comments = {"maps": "Kommentar", "assessment": "Bedömning", "next_steps": "Steg"}

            def deck(fig=fig, comments=comments):
                return slides.compose(
                    fig, comments, title="Bench", presenter="Bench", marking="Arbetsmaterial"
                )

            d = deck()
            pptx, pdf = to_pptx(d), to_pdf(d)
            rows.append(
                (name, "figures from the database", best(lambda ps=ps: figures.build(c, ps, now)))
            )
            rows.append((name, "slides (maps and pattern drawn)", best(deck)))
            rows.append((name, f"PPTX ({len(pptx) / 1024:,.0f} KiB)", best(lambda d=d: to_pptx(d))))
            rows.append((name, f"PDF ({len(pdf) / 1024:,.0f} KiB)", best(lambda d=d: to_pdf(d))))
            rows.append(
                (
                    name,
                    "export click, figures cached (slides + PPTX)",
                    best(lambda: to_pptx(deck())),
                )
            )
            rows.append(
                (
                    name,
                    f"frozen figures as stored: {len(json.dumps(fig)) / 1024:,.0f} KiB JSON",
                    0.0,
                )
            )
    print()
    print(f"{'period':<18} {'what':<52} {'seconds':>8}")
    for name, what, secs in rows:
        print(f"{name:<18} {what:<52} {secs:>8.3f}" if secs else f"{name:<18} {what}")


if __name__ == "__main__":
    raise SystemExit(main())
