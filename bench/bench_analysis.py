"""Benchmark the analysis core against naive baselines; prints a table of figures.

    .venv/bin/python bench/bench_analysis.py [--quick]

Figures (best of a few runs, after one warm-up so that JIT compilation and imports are excluded):

1. 1M incidents -> 250 m hexagon counts: axial binning (numpy) vs a geopandas spatial join of the
   points against the hexagon polygons.
2. Gi* on 10k cells: analytic; with 999 conditional permutations (esda's scheme, vectorised) vs
   esda.G_Local itself; with 99 999 total-randomisation draws (what the page uses at 250 m).
3. Density of 1M points on a 512² grid: FFT KDE (KDEpy) vs scipy.stats.gaussian_kde evaluated on
   the grid (timed on a subsample and scaled linearly: it is O(points x grid nodes)).
4. Knox test on 20k events with 99 simulations: KD-tree pairs + numba kernel vs the brute-force
   O(n²) computation (timed on the observed table plus a few simulations and scaled to 100 tables).
No figure is asserted: the script prints what it measures.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from support import best

from pax_geo.analysis import density, getis, hexgrid, nearrepeat

warnings.filterwarnings("ignore")
ROWS: list[dict] = []


def once(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def row(task: str, target: str, ours: float, baseline_name: str, baseline: float | None, note=""):
    ROWS.append(
        {
            "task": task,
            "target": target,
            "ours_s": ours,
            "baseline": baseline_name,
            "baseline_s": baseline,
            "speed-up": (baseline / ours) if baseline else None,
            "note": note,
        }
    )
    b = f"{baseline:8.3f}" if baseline is not None else "       -"
    print(f"  {task:<46} ours {ours:8.3f} s   {baseline_name:<34} {b} s", flush=True)


def city_points(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Clustered points over a 30 x 30 km city in EPSG:3006 (hot spots + background)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform([600_000, 6_550_000], [630_000, 6_580_000], size=(40, 2))
    k = int(n * 0.7)
    which = rng.integers(0, 40, k)
    x = np.concatenate(
        [centres[which, 0] + rng.normal(0, 250, k), rng.uniform(600_000, 630_000, n - k)]
    )
    y = np.concatenate(
        [centres[which, 1] + rng.normal(0, 250, k), rng.uniform(6_550_000, 6_580_000, n - k)]
    )
    return x, y


def bench_hex(quick: bool) -> None:
    import geopandas as gpd

    n = 1_000_000
    x, y = city_points(n)
    ours = best(lambda: hexgrid.hex_counts(x, y, 250))
    lat = hexgrid.lattice_for(250, x=x, y=y)
    cells = gpd.GeoDataFrame({"k": np.arange(len(lat))}, geometry=lat.polygons(), crs=3006)
    m = 100_000 if quick else n
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x[:m], y[:m]), crs=3006)

    def naive():
        j = gpd.sjoin(pts, cells, predicate="within")
        return j.groupby("k").size()

    base = once(naive) * (n / m)
    check = hexgrid.hex_counts(x[:m], y[:m], 250)
    ref = naive()
    assert int(ref.sum()) == check.total
    row(
        "1M incidents -> 250 m hexagon counts",
        "<= 0.3 s",
        ours,
        "geopandas sjoin vs hexagon polygons",
        base,
        f"{len(lat)} cells" + ("; sjoin scaled from 100k" if quick else ""),
    )


def bench_gi(quick: bool) -> None:
    import esda
    import libpysal

    x, y = city_points(60_000, seed=3)
    lat = hexgrid.lattice_for(250, x=x, y=y)
    # take the 10 000 cells nearest the centre: a compact 10k-cell lattice
    cx, cy = lat.centres()
    keep = np.argsort(np.hypot(cx - cx.mean(), cy - cy.mean()))[:10_000]
    lat = hexgrid.Lattice(250, lat.q[keep], lat.r[keep])
    v = lat.values(hexgrid.hex_counts(x, y, 250))
    w = lat.neighbours(1)
    ours0 = best(lambda: getis.gi_star(v, w, permutations=0))
    W = libpysal.weights.WSP(w).to_W(silence_warnings=True)
    base0 = best(lambda: esda.G_Local(v, W, transform="B", star=True, permutations=0), 2)
    row("Gi* on 10k cells, analytic", "<= 0.5 s", ours0, "esda.G_Local(permutations=0)", base0)
    ours999 = best(lambda: getis.gi_star(v, w, permutations=999, randomisation="conditional"), 2)
    base999 = best(
        lambda: esda.G_Local(v, W, transform="B", star=True, permutations=999, n_jobs=1, seed=1), 1
    )
    row(
        "Gi* on 10k cells, 999 permutations (esda scheme)",
        "<= 2 s",
        ours999,
        "esda.G_Local(999, numba, 1 job)",
        base999,
    )
    ours_total = best(lambda: getis.gi_star(v, w, permutations=99_999))
    row(
        "Gi* on 10k cells, 99 999 total-randomisation draws",
        "-",
        ours_total,
        "(same as above)",
        base999,
        "page default at 250 m uses 999 999",
    )
    ours_big = best(lambda: getis.gi_star(v, w, permutations=999_999), 1)
    row("Gi* on 10k cells, 999 999 total-randomisation draws", "-", ours_big, "-", None)


def bench_kde(quick: bool) -> None:
    from scipy.stats import gaussian_kde

    n = 1_000_000
    x, y = city_points(n, seed=5)
    ours = best(lambda: density.kde(x, y, 200.0, 512))
    d = density.kde(x, y, 200.0, 512)
    gx = d.x0 + d.dx * np.arange(512)
    gy = d.y0 + d.dy * np.arange(512)
    grid = np.vstack([np.repeat(gx, 512), np.tile(gy, 512)])
    m_pts = 2_000 if quick else 10_000
    m_grid = 512 * 64
    sub = np.vstack([x[:m_pts], y[:m_pts]])
    # scipy's bandwidth is a factor of the data covariance: match 200 m
    sd = np.sqrt(np.cov(sub).diagonal().mean())
    kde_ = gaussian_kde(sub, bw_method=200.0 / sd)
    t = once(lambda: kde_(grid[:, :m_grid]))
    base = t * (n / m_pts) * (512 * 512 / m_grid)
    row(
        "Density of 1M points on a 512² grid",
        "<= 0.3 s",
        ours,
        "scipy gaussian_kde on the grid",
        base,
        f"baseline scaled from {m_pts} pts x {m_grid} nodes; integral {d.integral():.0f}",
    )


def bench_knox(quick: bool) -> None:
    from pax_geo.demo.generate import default_end, generate_incidents

    df = generate_incidents(20_000, 42, default_end())
    n = len(df)  # a few near-repeat offspring outside the municipality are dropped
    x, y, t = df.x.to_numpy(), df.y.to_numpy(), df["occurred_at"]
    args = (100, 5, 7, 5)
    nearrepeat.knox(x[:500], y[:500], t[:500], *args, simulations=2)  # JIT warm-up
    ours = best(lambda: nearrepeat.knox(x, y, t, *args, simulations=99), 1)
    res = nearrepeat.knox(x, y, t, *args, simulations=99)
    # brute force: full upper triangle per table; 20k events would need 200M pairs (~8 GB), so
    # it runs on the first m events and is scaled by (n / m)²
    m = 2_000 if quick else 5_000
    rng = np.random.default_rng(0)
    perms = np.stack([rng.permutation(m) for _ in range(2)])
    tb = once(lambda: nearrepeat.knox_brute_force(x[:m], y[:m], t[:m], *args, perms)) / 3
    base = tb * 100 * (n / m) ** 2
    row(
        "Knox test, 20k events, 99 simulations (demo)",
        "<= 10 s",
        ours,
        "brute force O(n²), all pairs",
        base,
        f"{n} events, {res.n_pairs / 1e6:.1f}M pairs within 500 m (dense demo city); "
        f"baseline: 3 tables of {m} events scaled to 100 tables of {n}",
    )
    # real data: the NYPD shootings (16k events over New York)
    csv = (
        Path(__file__).resolve().parents[2]
        / "shared/data/nypd_shootings/NYPD_Shooting_Incident_Data__Historic_.csv"
    )
    if csv.exists():
        from pyproj import Transformer

        nypd = pd.read_csv(csv).dropna(subset=["Latitude", "Longitude"])
        tr = Transformer.from_crs(4326, 32618, always_xy=True)
        nx, ny = tr.transform(nypd["Longitude"].to_numpy(), nypd["Latitude"].to_numpy())
        nt = pd.to_datetime(nypd["OCCUR_DATE"], format="%m/%d/%Y").dt.tz_localize(
            "America/New_York"
        )
        ours_n = best(lambda: nearrepeat.knox(nx, ny, nt, *args, simulations=99), 1)
        rn = nearrepeat.knox(nx, ny, nt, *args, simulations=99)
        row(
            f"Knox test, NYPD shootings ({len(nypd)} real), 99 sims",
            "<= 10 s",
            ours_n,
            "-",
            None,
            f"{rn.n_pairs / 1e6:.2f}M pairs within 500 m",
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller baselines (scaled)")
    ap.add_argument("--only", choices=["hex", "gi", "kde", "knox"], help="run one figure")
    args = ap.parse_args()
    print("pax analysis benchmark (seconds, best of runs after warm-up)")
    benches = {"hex": bench_hex, "gi": bench_gi, "kde": bench_kde, "knox": bench_knox}
    for key, fn in benches.items():
        if args.only in (None, key):
            fn(args.quick)
    print()
    table = pd.DataFrame(ROWS)
    with pd.option_context("display.max_colwidth", 80, "display.width", 200):
        print(
            table.to_string(
                index=False,
                formatters={
                    "ours_s": "{:.3f}".format,
                    "baseline_s": lambda v: "-" if v is None or pd.isna(v) else f"{v:.2f}",
                    "speed-up": lambda v: (
                        "-"
                        if v is None or pd.isna(v)
                        else (f"{v:,.0f}x" if v >= 10 else f"{v:.1f}x")
                    ),
                },
            )
        )


if __name__ == "__main__":
    main()
