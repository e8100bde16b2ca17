"""The only Streamlit-aware part of pax_geo: session, cached loaders, map builders, widgets."""
