"""Hot spot and pattern analysis. No Streamlit here: pages call :mod:`pax_geo.analysis.service`.

Modules:

* :mod:`hexgrid` - metric hexagon grid (axial coordinates), counts, lattice, contiguity;
* :mod:`density` - Gaussian kernel density, exact at grid nodes, 200 m bandwidth by default;
* :mod:`getis` - Getis-Ord Gi* with permutation inference and FDR, 90/95/99 % classes;
* :mod:`trend` - Mann-Kendall trend test;
* :mod:`emerging` - space-time cube, emerging hot spot categories;
* :mod:`nearrepeat` - Knox test with Monte Carlo simulation, near-repeat risk zones;
* :mod:`temporal` - hour x weekday (aoristic), seasonality;
* :mod:`compstat` - year to date and 28-day comparisons from the database's area counts;
* :mod:`coverage` - hot cells outside camera coverage and away from night-walk routes;
* :mod:`service` - thin functions that fetch through a role's login and run the above.
"""
