"""The lägesbild's pictures, drawn with matplotlib from the figures dict alone (so a frozen
lägesbild draws the same pictures years later): classed area maps per incident type and the
weekday x time-of-day pattern. PNG at 16:9, large type for a projector.
"""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.patheffects as pe  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import Patch, Polygon  # noqa: E402
from PIL import Image as PILImage  # noqa: E402

from pax_geo.board.model import Image  # noqa: E402
from pax_geo.horizons.counts import Count  # noqa: E402

DPI = 100
INK = "#1b2a3a"
#: sequential classes, light to dark (ColorBrewer YlOrRd 5, colour-blind safe in sequence)
CLASS_COLOURS = ("#f4f4f4", "#fed976", "#fd8d3c", "#e31a1c", "#800026")
DAYS = {
    "sv": ("Mån", "Tis", "Ons", "Tor", "Fre", "Lör", "Sön"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
BLOCKS = ("00–06", "06–12", "12–18", "18–24")


def _png(fig) -> tuple[bytes, int, int]:
    """The figure as PNG, cropped to what was drawn, and its size in pixels."""
    buf = io.BytesIO()
    fig.savefig(
        buf,
        format="png",
        dpi=DPI,
        facecolor="white",
        bbox_inches="tight",
        pad_inches=0.15,
        metadata={"Software": None},
    )
    plt.close(fig)
    png = buf.getvalue()
    with PILImage.open(io.BytesIO(png)) as im:
        w, h = im.size
    return png, w, h


def classes(counts: list[Count], threshold: int) -> list[tuple[int, int]]:
    """Class bounds (lo, hi) for current counts: 0, the suppressed range, then up to three
    classes above the threshold with round bounds. Every count falls in exactly one class;
    a range that spans classes takes the class of its midpoint."""
    top = max((c.hi for c in counts), default=0)
    out = [(0, 0)]
    if threshold >= 2:
        out.append((1, threshold - 1))
    start = max(threshold, 1)
    if top < start:
        return out
    span = top - start + 1
    n = min(3, span)
    step = math.ceil(span / n)
    for i in range(n):
        lo = start + i * step
        hi = top if i == n - 1 else start + (i + 1) * step - 1
        if lo <= hi:
            out.append((lo, hi))
    return out


def class_of(c: Count, bounds: list[tuple[int, int]]) -> int:
    if c.is_exact or (c.lo, c.hi) in bounds:
        v = c.lo if c.is_exact else c.mid
    else:
        v = c.mid
    for i, (lo, hi) in enumerate(bounds):
        if lo <= v <= hi:
            return i
    return len(bounds) - 1 if v > bounds[-1][1] else 0


def _rings(geom: dict) -> list[list[list[float]]]:
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    return [p[0] for p in polys if p]


def _label_point(geom: dict) -> tuple[float, float]:
    """The centre of the largest ring's bounding box, moved to the ring's mean if outside."""
    rings = _rings(geom)
    ring = max(rings, key=lambda r: _area(r))
    xs = [p[0] for p in ring]
    ys = [p[1] for p in ring]
    return sum(xs) / len(xs), sum(ys) / len(ys)


def _area(ring: list[list[float]]) -> float:
    return abs(
        sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:] + ring[:1], strict=True)) / 2
    )


def _draw_labels(
    ax, geoms: dict, counts: dict[str, Count], th: int, size: float, spots: dict
) -> None:
    """Name and count in each large area; small areas (the dense town centre) get their label
    in a column beside the map with a thin leader line, spaced so that no two labels overlap;
    a large area's label that would cover another goes to the column too."""
    areas = {n: sum(_area(r) for r in _rings(g)) for n, g in geoms.items()}
    total = sum(areas.values()) or 1.0
    xs = [p[0] for g in geoms.values() for r in _rings(g) for p in r]
    ys = [p[1] for g in geoms.values() for r in _rings(g) for p in r]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    halo = [pe.withStroke(linewidth=4, foreground="white")]
    small = []
    placed: list = []
    renderer = ax.figure.canvas.get_renderer()
    ax.set_xlim(x0, x1 + (x1 - x0) * 0.95)
    ax.set_ylim(y0, y1)
    for name in sorted(geoms, key=lambda n: -areas[n]):
        x, y = spots.get(name) or _label_point(geoms[name])
        if areas[name] / total < 0.035:
            small.append((y, x, name))
            continue
        txt = ax.text(
            x,
            y,
            f"{name}\n{counts[name].label(th)}",
            ha="center",
            va="center",
            fontsize=size,
            color=INK,
            fontweight="bold",
            linespacing=1.0,
            path_effects=halo,
        )
        box = txt.get_window_extent(renderer).expanded(1.15, 1.3)  # halo and some air
        if any(box.overlaps(b) for b in placed):
            txt.remove()
            small.append((y, x, name))
            continue
        placed.append(box)
    if not small:
        return
    small.sort(reverse=True)  # top to bottom
    col_x = x1 + (x1 - x0) * 0.12
    step = (y1 - y0) / max(len(small) + 1, 18)
    top = min(max(y for y, _, _ in small) + step, y1 - step / 2)
    for i, (y, x, name) in enumerate(small):
        ly = top - i * step
        ax.plot([x, col_x - (x1 - x0) * 0.02], [y, ly], color="#8593a3", linewidth=0.8)
        ax.plot([x], [y], marker="o", markersize=3, color=INK)
        ax.text(
            col_x,
            ly,
            f"{name}  {counts[name].label(th)}",
            ha="left",
            va="center",
            fontsize=size,
            color=INK,
            fontweight="bold",
        )


def area_map(fig: dict, kind: str, lang: str) -> Image:
    """A classed map of one incident type's counts per area, with its legend; names and counts
    large enough to read from the back of a board room."""
    th = int(fig["threshold"])
    geoms = {a["name"]: a["geom"] for a in fig["areas"]}
    per = fig["by_area"][kind]
    counts = {name: Count(*per.get(name, {}).get("cur", [0, 0])) for name in geoms}
    bounds = classes(list(counts.values()), th)
    f, ax = plt.subplots(figsize=(16, 9))
    ax.set_axis_off()
    for name, geom in geoms.items():
        colour = CLASS_COLOURS[min(class_of(counts[name], bounds), len(CLASS_COLOURS) - 1)]
        for ring in _rings(geom):
            ax.add_patch(
                Polygon(ring, closed=True, facecolor=colour, edgecolor="#5b6b7b", linewidth=1.0)
            )
    ax.set_aspect("equal", adjustable="box")
    spots = {a["name"]: a.get("label") for a in fig["areas"]}
    _draw_labels(ax, geoms, counts, th, size=17, spots=spots)
    handles = [
        Patch(
            facecolor=CLASS_COLOURS[min(i, len(CLASS_COLOURS) - 1)],
            edgecolor="#5b6b7b",
            label=Count(lo, hi).label(th) if (lo, hi) != (0, 0) else "0",
        )
        for i, (lo, hi) in enumerate(bounds)
    ]
    ax.legend(
        handles=handles,
        loc="lower right",
        fontsize=18,
        frameon=False,
        title="Antal" if lang == "sv" else "Count",
        title_fontsize=18,
        handlelength=1.3,
        alignment="left",
    )
    f.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.01)
    png, w, h = _png(f)
    alt = "Karta: antal per område" if lang == "sv" else "Map: count per area"
    return Image(f"map_{kind}", png, alt, w, h)


def pattern(fig: dict, title: str, lang: str) -> Image:
    """Weekday x six-hour block for the whole municipality (all types together)."""
    th = int(fig["threshold"])
    grid: dict[tuple[int, int], Count] = {}
    for dow, block, lo, hi in fig["pattern"]:
        grid[(int(dow), int(block))] = Count(int(lo), int(hi))
    f, ax = plt.subplots(figsize=(8.0, 4.4))
    top = max((c.mid for c in grid.values()), default=0) or 1
    cmap = plt.get_cmap("YlOrRd")
    for d in range(1, 8):
        for b in range(4):
            c = grid.get((d, b * 6), Count(0, 0))
            share = c.mid / top
            ax.add_patch(
                plt.Rectangle(
                    (d - 1, b),
                    1,
                    1,
                    facecolor=to_hex(cmap(0.05 + 0.9 * share)),
                    edgecolor="white",
                    linewidth=3,
                )
            )
            ax.text(
                d - 0.5,
                b + 0.5,
                c.label(th),
                ha="center",
                va="center",
                fontsize=22,
                color="white" if share > 0.6 else INK,
                fontweight="bold",
            )
    ax.set_xlim(0, 7)
    ax.set_ylim(4, 0)
    ax.set_xticks([i + 0.5 for i in range(7)], DAYS.get(lang, DAYS["sv"]), fontsize=17)
    ax.set_yticks([i + 0.5 for i in range(4)], BLOCKS, fontsize=17)
    ax.tick_params(length=0, colors=INK)
    for s in ax.spines.values():
        s.set_visible(False)
    ax.set_title(title, fontsize=16, color=INK, loc="left", fontweight="bold")
    f.subplots_adjust(left=0.12, right=0.99, top=0.9, bottom=0.1)
    png, w, h = _png(f)
    return Image("pattern", png, title, w, h)
