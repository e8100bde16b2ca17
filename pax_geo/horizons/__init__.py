"""The medium- and long-term horizons and the area card: pure functions (no Streamlit).

* :mod:`counts`: suppressed counts as honest ranges;
* :mod:`periods`: periods, calendar buckets, series, rolling means, same period last year,
  period comparisons and "what changed since";
* :mod:`traffic`: the area card's traffic light and its rule;
* :mod:`indicators`: municipality averages, area against average, classed colour scales;
* :mod:`queries`: role-aware reads through pax_api.
"""
