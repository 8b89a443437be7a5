"""Estimated cost of a model call from its token counts.

ESTIMATES ONLY: list prices in USD per million tokens by model family, as published when this
table was written. Check your own invoice; batch, regional and negotiated prices differ.
Cache writes (5-minute TTL) cost 1.25x the input price, cache reads 0.1x.
"""

from __future__ import annotations

from typing import NamedTuple

from pm_agent.models import Usage


class Price(NamedTuple):
    input_per_mtok: float
    output_per_mtok: float


ESTIMATED_PRICES_USD: dict[str, Price] = {
    "opus": Price(5.00, 25.00),  # claude-opus-4-5 and later; older opus-4/4-1 were 15/75
    "sonnet": Price(3.00, 15.00),
    "haiku": Price(1.00, 5.00),  # claude-haiku-4-5
}
CACHE_WRITE_FACTOR = 1.25
CACHE_READ_FACTOR = 0.10


def price_for(model: str) -> Price | None:
    """The estimated price of ``model``'s family, or None for a model this table does not know."""
    lowered = model.lower()
    return next((price for family, price in ESTIMATED_PRICES_USD.items() if family in lowered), None)


def estimate_cost(model: str, usage: Usage) -> float | None:
    """The estimated USD cost of ``usage`` on ``model`` (None when the family is unknown)."""
    price = price_for(model)
    if price is None:
        return None
    per_input = price.input_per_mtok / 1_000_000
    cost = (
        usage.input_tokens * per_input
        + usage.cache_creation_input_tokens * per_input * CACHE_WRITE_FACTOR
        + usage.cache_read_input_tokens * per_input * CACHE_READ_FACTOR
        + usage.output_tokens * price.output_per_mtok / 1_000_000
    )
    return round(cost, 6)
