"""Insatser: planned hotspot operations, the Pax partners' action register, and evaluation.

* :mod:`register`: save, list and move operations and actions through the definer functions of
  0015_operations.py (audited in the database; police operations exact for the police only);
* :mod:`zones`: the target, its buffer ring and the comparison area, and the incidents counted
  in them per day (in the database);
* :mod:`evaluate`: the before/after evaluation of one operation (periods of equal length, weekly
  series, WDQ and difference in differences from :mod:`pax_geo.analysis.evaluation`);
* :mod:`profile`: what matters for planning an operation on a target.
"""
