"""Cached loaders for pages. Every read opens the signed-in role's own database login."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import Connection

from pax_geo import mapdata, queries
from pax_geo.config import settings
from pax_geo.db import reader_engine
from pax_geo.layers import INCIDENT_KINDS
from pax_geo.ui.session import User


@contextmanager
def reader(user: User) -> Iterator[Connection]:
    """A connection as the user's role, with the application user set for 'own' rows."""
    with reader_engine(user.role).connect() as conn:
        queries.set_app_user(conn, user.username)
        yield conn


@st.cache_data(ttl=300, show_spinner=False)
def districts(role: str) -> dict[int, str]:
    with reader_engine(role).connect() as conn:
        df = queries.areas(conn, ("district",))
    return dict(zip(df["id"].astype(int), df["name"], strict=True))


@st.cache_data(ttl=300, show_spinner=False)
def precision(role: str) -> dict[str, str]:
    with reader_engine(role).connect() as conn:
        return queries.my_precision(conn)


@st.cache_data(ttl=300, show_spinner=False)
def map_context(role: str) -> mapdata.MapContext:
    """Districts, outline, cameras and routes: they change only on import."""
    with reader_engine(role).connect() as conn:
        return mapdata.context(conn)


@st.cache_data(ttl=60, show_spinner=False, max_entries=64)
def map_data(
    role: str,
    username: str,
    flt: queries.Filter,
    mode: str,
    hex_size_m: float,
    kind_labels: dict[str, str],
) -> mapdata.MapData:
    with reader_engine(role).connect() as conn:
        queries.set_app_user(conn, username)
        return mapdata.build(
            conn,
            flt,
            mode=mode,
            budget=settings().point_budget,
            hex_size_m=hex_size_m,
            kind_labels=kind_labels,
            area_names=districts(role),
            ctx=map_context(role),
        )


def visible_kinds(role: str) -> list[str]:
    prec = precision(role)
    return [k for k in INCIDENT_KINDS if prec.get(k, "none") != "none"]
