"""Insatser fixtures: the signed-in demo accounts of the board tests."""

from tests.board.conftest import signed  # noqa: F401 (a fixture)
