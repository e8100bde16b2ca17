"""Read what deck.gl drew in Chromium: the Deck instance behind Streamlit's pydeck chart (found
through React's fiber tree, since Streamlit exposes no handle), its layers and their props,
canvas pixels, and console errors. Helpers only; the fixtures live in tests/browser_support.py.
"""

from __future__ import annotations

import io
import time

import numpy as np
from PIL import Image

#: Returns the deck.gl Deck instance of the first pydeck chart (or null).
FIND_DECK = """() => {
  const host = document.querySelector('[data-testid="stDeckGlJsonChart"]');
  if (!host) return null;
  const seen = new Set();
  const isDeck = (v) => v && typeof v === 'object' && v.layerManager !== undefined
    && typeof v.setProps === 'function' && typeof v.getViewports === 'function';
  let found = null;
  const scan = (v, depth) => {
    if (found || !v || typeof v !== 'object' || depth > 3 || seen.has(v)) return;
    seen.add(v);
    if (isDeck(v)) { found = v; return; }
    if (v.deck && isDeck(v.deck)) { found = v.deck; return; }
    if ('current' in v) scan(v.current, depth + 1);
  };
  for (const el of [host, ...host.querySelectorAll('*')]) {
    const key = Object.keys(el).find((k) => k.startsWith('__reactFiber$'));
    if (!key) continue;
    let f = el[key];
    for (let n = 0; f && n < 60 && !found; n++, f = f.return) {
      scan(f.stateNode, 0);
      let h = f.memoizedState;
      for (let m = 0; h && m < 50 && !found; m++, h = h.next) scan(h.memoizedState, 0);
    }
    if (found) break;
  }
  return found;
}"""

#: The top-level layers deck.gl holds: id, class, visibility, data length, instances, loaded.
LAYERS = (
    "() => { const d = ("
    + FIND_DECK
    + """)();
  if (!d || !d.layerManager) return null;
  return d.layerManager.getLayers().filter((l) => !l.parent).map((l) => ({
    id: l.id,
    type: l.constructor.layerName || l.constructor.name,
    visible: l.props.visible !== false,
    data: Array.isArray(l.props.data) ? l.props.data.length : null,
    instances: typeof l.getNumInstances === 'function' ? l.getNumInstances() : null,
    loaded: l.isLoaded,
  }));
}"""
)

#: Screen positions (page coordinates) of the rows of layers whose id starts with a prefix,
#: limited to those inside the canvas and the viewport (margins keep clear of the controls).
VISIBLE_POINTS = (
    "([prefix, margin]) => { const d = ("
    + FIND_DECK
    + """)();
  if (!d) return [];
  const vp = d.getViewports()[0];
  const c = d.canvas.getBoundingClientRect();
  const out = [];
  for (const l of d.layerManager.getLayers()) {
    if (l.parent || !l.id.startsWith(prefix) || !Array.isArray(l.props.data)) continue;
    l.props.data.forEach((row, index) => {
      const p = row.p || row.c;
      if (!p) return;
      const [x, y] = vp.project(p);
      const X = c.left + x, Y = c.top + y;
      if (X > c.left + margin && X < c.right - 70 && Y > Math.max(c.top, 0) + margin
          && Y < Math.min(c.bottom, window.innerHeight) - margin)
        out.push({x: X, y: Y, layer: l.id, index, row});
    });
  }
  return out;
}"""
)


def deck_layers(page, want=None, timeout: float = 60) -> list[dict]:
    """The deck's top-level layers once every one has loaded (and, if given, once ``want(layers)``
    holds): deck.gl updates asynchronously after Streamlit's run has finished."""
    deadline = time.monotonic() + timeout
    layers = None
    while time.monotonic() < deadline:
        layers = page.evaluate(LAYERS)
        if layers and all(layer["loaded"] for layer in layers) and (want is None or want(layers)):
            # deck.gl draws them in its next animation frame: wait for two frames to pass
            page.evaluate(
                "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
            )
            return page.evaluate(LAYERS)
        page.wait_for_timeout(300)
    raise AssertionError(f"the deck did not reach the expected layers: {layers}")


def canvas_pixels(page) -> np.ndarray:
    """The map canvas as an RGB array (a screenshot, so it is what a person sees)."""
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
    canvas.wait_for(state="visible", timeout=60_000)
    img = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
    return np.asarray(img, dtype=float)


def colour_share(pixels: np.ndarray, colour, min_alpha: float = 0.35, tol: float = 18) -> float:
    """Share of pixels that are ``colour`` laid over white at an opacity of at least
    ``min_alpha`` (points, cells and heat are drawn translucent over a white page)."""
    white = np.array([255.0, 255.0, 255.0])
    direction = np.asarray(colour, dtype=float) - white
    rel = pixels.reshape(-1, 3) - white
    alpha = rel @ direction / (direction @ direction)
    residual = np.linalg.norm(rel - alpha[:, None] * direction, axis=1)
    hit = (alpha >= min_alpha) & (alpha <= 1.08) & (residual <= tol)
    return float(hit.mean())


class ConsoleLog:
    """Console errors and uncaught page errors, collected from the moment it is attached."""

    #: Messages of a page offline by design (fonts, tiles and map styles fail to load).
    OFFLINE = ("Failed to load resource", "Failed to fetch", "Material Symbols", "net::ERR_")

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _console(self, msg) -> None:
        if msg.type == "error" and not any(s in msg.text for s in self.OFFLINE):
            self.errors.append(msg.text)

    def deck_errors(self) -> list[str]:
        return [
            e
            for e in self.errors
            if "deck" in e.lower() or "accessor" in e or "luma" in e or e.startswith("pageerror")
        ]
