"""Synthetic, deterministic demo data for a believable Södertälje."""

from pax_geo.demo.load import load_demo

__all__ = ["load_demo"]
