"""A lägesbild as slides: the figures dict and the presenter's comments in, a
:class:`~pax_geo.board.model.Deck` out. Pure (no database, no Streamlit): the page, the
presentation, the PPTX and the PDF all draw this one deck.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pax_geo.board import charts
from pax_geo.board.model import Deck, KeyFigure, Slide, Table
from pax_geo.horizons.counts import Count
from pax_geo.horizons.fmt import local_date, num
from pax_geo.i18n import t
from pax_geo.layers import load_layers

#: sections in slide order ("maps" is one slide per incident type); next_steps is written on
#: the assessment slide
SECTION_ORDER: tuple[str, ...] = (
    "title",
    "key_figures",
    "maps",
    "here_now",
    "medium",
    "long",
    "operations",
    "assessment",
)


def _c(r: list[int]) -> Count:
    return Count(int(r[0]), int(r[1]))


def _day_range(d: dict) -> str:
    start = datetime.fromisoformat(d["start"])
    last = datetime.fromisoformat(d["end"]) - timedelta(seconds=1)
    return f"{local_date(start)}–{local_date(last)}"


def change_phrase(cur: Count, ref: Count, ref_key: str, threshold: int, lang: str) -> str:
    """'12 färre än samma period i fjol'; a range where suppressed counts leave it open."""
    ref_text = t(ref_key, lang)
    lo, hi = cur.lo - ref.hi, cur.hi - ref.lo
    if lo == hi == 0:
        return t("bd_same", lang, ref=ref_text)
    if lo > 0:
        n = str(lo) if lo == hi else f"{lo}–{hi}"
        return t("bd_more", lang, n=n, ref=ref_text)
    if hi < 0:
        n = str(-hi) if lo == hi else f"{-hi}–{-lo}"
        return t("bd_fewer", lang, n=n, ref=ref_text)

    def signed(v: int) -> str:
        return f"+{v}" if v > 0 else ("±0" if v == 0 else f"−{-v}")

    return t("bd_open", lang, lo=signed(lo), hi=signed(hi), ref=ref_text)


def _verdict(test: dict, lang: str) -> str:
    v = t(f"bd_verdict_{test['verdict']}", lang)
    if test["verdict"] == "significant" and test.get("p") is not None:
        v += f" (p = {num(test['p'], lang, 3)})"
    return v


def _tone(cur: Count, ref: Count) -> str:
    if cur.lo > ref.hi:
        return "up"
    if cur.hi < ref.lo:
        return "down"
    return "same" if cur == ref else ""


def kind_titles(lang: str) -> dict[str, str]:
    specs = load_layers()
    return {k: specs[k].title[lang] for k in ("car_fire", "shooting", "explosion", "cache")}


def _key_figures(fig: dict, lang: str) -> tuple[tuple[KeyFigure, ...], tuple[str, ...]]:
    th = int(fig["threshold"])
    cards, sentences = [], []
    for k in fig["kinds"]:
        tot = fig["totals"][k]
        cur, prev, ly = _c(tot["cur"]), _c(tot["prev"]), _c(tot["ly"])
        noun = t(f"bd_noun_{k}", lang)
        vs_ly = change_phrase(cur, ly, "bd_ref_ly", th, lang)
        vs_prev = change_phrase(cur, prev, "bd_ref_prev", th, lang)
        cards.append(
            KeyFigure(
                label=noun,
                value=cur.label(th),
                lines=(
                    f"{vs_ly}: {_verdict(tot['test_ly'], lang)}",
                    f"{vs_prev}: {_verdict(tot['test_prev'], lang)}",
                ),
                tone=_tone(cur, ly),
            )
        )
        sentences.append(f"{cur.label(th)} {noun}, {vs_ly}.")
    return tuple(cards), tuple(sentences)


def _largest_changes(fig: dict, lang: str, top: int = 6) -> Table:
    th = int(fig["threshold"])
    titles = kind_titles(lang)
    rows = []
    for k in fig["kinds"]:
        for area, v in fig["by_area"][k].items():
            cur, prev = _c(v["cur"]), _c(v["prev"])
            lo, hi = cur.lo - prev.hi, cur.hi - prev.lo
            size = abs(lo + hi) / 2
            certain = lo > 0 or hi < 0
            if size == 0:
                continue
            rows.append((size, certain, area or "–", titles[k], cur, prev, lo, hi))
    rows.sort(key=lambda r: (-r[0], not r[1], r[2], r[3]))

    def signed(v: int) -> str:
        return f"+{v}" if v > 0 else ("±0" if v == 0 else f"−{-v}")

    out = tuple(
        (
            area,
            kind,
            cur.label(th),
            prev.label(th),
            signed(lo) if lo == hi else f"{signed(lo)} … {signed(hi)}",
        )
        for _, _, area, kind, cur, prev, lo, hi in rows[:top]
    )
    header = tuple(
        t(k, lang) for k in ("bd_col_area", "bd_col_type", "bd_col_now", "bd_col_before")
    ) + (t("bd_col_change", lang),)
    return Table(header, out, numeric=(2, 3, 4))


def _medium(fig: dict, lang: str) -> tuple[tuple[str, ...], Table]:
    th = int(fig["threshold"])
    obs = fig["observations"]
    lines = [
        t(
            "bd_observations_line",
            lang,
            now=_c(obs["total"]["cur"]).label(th),
            ly=_c(obs["total"]["ly"]).label(th),
        )
    ]
    w = fig["walks"]
    lines.append(
        t(
            "bd_walks_line",
            lang,
            walks=w["cur"]["walks"],
            evenings=w["cur"]["evenings"],
            people=w["cur"]["people"],
            ly_walks=w["ly"]["walks"],
        )
    )
    for key in ("safety_feel", "trust_police"):
        ind = fig["indicators"].get(key)
        if not ind:
            continue
        change = "–"
        if ind["prev_average"] is not None:
            d = ind["average"] - ind["prev_average"]
            change = t("bd_change_pp", lang, v=("+" if d > 0 else "") + num(d, lang, 1))
        lines.append(
            t(
                "bd_safety_line",
                lang,
                label=ind["label_sv"] if lang == "sv" else ind["label_en"],
                value=num(ind["average"], lang, 1),
                unit=ind["unit"],
                year=ind["year"],
                change=change,
                prev_year=ind["prev_year"] or "–",
            )
        )
    rows = tuple(
        (cat, _c(v["cur"]).label(th), _c(v["prev"]).label(th), _c(v["ly"]).label(th))
        for cat, v in sorted(obs["by_category"].items(), key=lambda kv: -_c(kv[1]["cur"]).mid)
    )
    header = tuple(
        t(k, lang) for k in ("bd_col_category", "bd_col_now", "bd_col_before", "bd_col_ly")
    )
    return tuple(lines), Table(header, rows, numeric=(1, 2, 3))


def _long(fig: dict, lang: str) -> Table:
    moved = []
    for key, ind in fig["indicators"].items():
        if key in ("safety_feel", "trust_police"):
            continue
        d = None if ind["prev_average"] is None else ind["average"] - ind["prev_average"]
        moved.append((abs(d) if d is not None else -1, key, ind, d))
    moved.sort(key=lambda m: (-m[0], m[1]))
    rows = []
    for _, _key, ind, d in moved[:5]:
        label = ind["label_sv"] if lang == "sv" else ind["label_en"]
        areas = ind["areas"]
        low = f"{areas[0][0]} {num(areas[0][1], lang, 1)}" if areas else "–"
        high = f"{areas[-1][0]} {num(areas[-1][1], lang, 1)}" if areas else "–"
        change = "–" if d is None else ("+" if d > 0 else "") + num(d, lang, 1)
        rows.append(
            (
                f"{label} ({ind['unit']}, {ind['year']})",
                num(ind["average"], lang, 1),
                change,
                low,
                high,
            )
        )
    header = (
        t("bd_col_indicator", lang),
        t("bd_col_average", lang),
        t("bd_col_change", lang),
        t("bd_col_lowest", lang),
        t("bd_col_highest", lang),
    )
    return Table(header, tuple(rows), numeric=(1, 2))


def _operations(fig: dict, lang: str) -> Table:
    rows = []
    for op in fig["operations"]:
        start = local_date(date.fromisoformat(op["starts_on"]))
        end = local_date(date.fromisoformat(op["ends_on"])) if op["ends_on"] else ""
        # lägesbilder frozen before Insatser (0015) have no owner or evaluation
        verdict = op.get("verdict")
        status = t(f"bd_status_{op['status']}", lang)
        rows.append(
            (
                op["name"],
                op.get("owner") or "–",
                ", ".join(op["areas"]) or "–",
                f"{start}–{end}",
                f"{status} · {t(f'ev_label_{verdict}', lang)}" if verdict else status,
            )
        )
    header = tuple(
        t(k, lang)
        for k in ("bd_col_name", "op_col_owner", "bd_col_areas", "bd_col_dates", "bd_col_status")
    )
    return Table(header, tuple(rows))


def compose(
    fig: dict,
    comments: dict[str, str],
    *,
    title: str,
    presenter: str,
    marking: str,
    lang: str = "sv",
    presented_on: date | None = None,
) -> Deck:
    """The deck for `fig` with the presenter's `comments` (section -> text)."""
    th = int(fig["threshold"])
    period = _day_range(fig["period"])
    generated = datetime.fromisoformat(fig["generated_at"])
    shown = presented_on or generated.date()
    until = fig.get("data_until")
    end_last = datetime.fromisoformat(fig["period"]["end"]) - timedelta(seconds=1)
    data_until = local_date(min(datetime.fromisoformat(until), end_last) if until else end_last)
    note = t("bd_note_release", lang, th=th)
    cards, sentences = _key_figures(fig, lang)
    titles = kind_titles(lang)
    lines, obs_table = _medium(fig, lang)
    ops = _operations(fig, lang)
    c = comments.get
    slides = [
        Slide(
            "title",
            title,
            subtitle=t("bd_period", lang, period=period),
            bullets=(
                t(
                    "bd_compared",
                    lang,
                    prev=_day_range(fig["previous"]),
                    ly=_day_range(fig["last_year"]),
                ),
            ),
            comment=c("title", ""),
        ),
        Slide(
            "key_figures",
            t("bd_sec_key_figures", lang),
            subtitle=period,
            key_figures=cards,
            bullets=sentences,
            comment=c("key_figures", ""),
            note=note,
        ),
        *(
            Slide(
                f"map_{kind}",
                t("bd_sec_map", lang, kind=titles[kind][:1].lower() + titles[kind][1:]),
                subtitle=period,
                images=(charts.area_map(fig, kind, lang),),
                comment=c("maps", "") if i == 0 else "",
                note=note,
                section="maps",
            )
            for i, kind in enumerate(fig["kinds"])
        ),
        Slide(
            "here_now",
            t("bd_sec_here_now", lang),
            subtitle=t("bd_largest_changes", lang),
            tables=(_largest_changes(fig, lang),),
            images=(charts.pattern(fig, t("bd_pattern_title", lang), lang),),
            comment=c("here_now", ""),
            note=f"{note} {t('bd_pattern_note', lang)}",
        ),
        Slide(
            "medium",
            t("bd_sec_medium", lang),
            subtitle=period,
            bullets=lines,
            tables=(obs_table,),
            comment=c("medium", ""),
            note=note,
        ),
        Slide(
            "long",
            t("bd_sec_long", lang),
            tables=(_long(fig, lang),),
            comment=c("long", ""),
            note=t("bd_long_note", lang),
        ),
        Slide(
            "operations",
            t("bd_sec_operations", lang),
            subtitle=period,
            tables=(ops,) if ops.rows else (),
            bullets=() if ops.rows else (t("bd_no_operations", lang),),
            comment=c("operations", ""),
            note=t("bd_operations_note", lang),
        ),
        Slide(
            "assessment",
            t("bd_sec_assessment", lang),
            bullets=(
                f"{t('bd_assessment', lang)}: {c('assessment', '') or t('bd_no_comment', lang)}",
                f"{t('bd_sec_next_steps', lang)}: {c('next_steps', '') or t('bd_no_comment', lang)}",
            ),
        ),
    ]
    return Deck(
        title=title,
        municipality=fig["municipality"],
        period_label=period,
        presenter=presenter,
        marking=marking,
        data_until=data_until,
        generated=local_date(shown),
        data_label=t("bd_data_label", lang),
        slide_label=t("bd_slide_label", lang),
        slides=tuple(slides),
    )
