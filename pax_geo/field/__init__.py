"""Field mode (Fältläge): reports from the street, the night walkers' log, and the field
worker's own areas at a glance. Core only (no Streamlit): the pages in ``pages/`` draw it.

* :mod:`pax_geo.field.reports`: report, correct, withdraw and triage observations;
* :mod:`pax_geo.field.walks`: walks planned tonight and held, and logging a walk;
* :mod:`pax_geo.field.status`: "Mitt område", the status of the account's areas.

Every write goes through a definer function in the database (``0013_field.py``) that takes the
user from the bound session and checks the role's capability there.
"""
