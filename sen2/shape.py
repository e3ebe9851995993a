"""Put a SEN2 element tree into a collection year's shape (its profile).

Writers build each Person (or the Header) with every item they have data for, whatever the
year; `shape(element, year)` then keeps the items that year's profile has in that block, in
the profile's order (the evidence's), and drops the rest: so 2023 keeps GenderCurrent and
Res/WBP under ActivePlans, 2025 RequestSource, DSCO and the review and phase-transfer items
where the data has them, and a new year needs a profile, not a new writer.
"""
from __future__ import annotations

from functools import lru_cache

from lxml import etree

from foundation.reference import sen2_profile, sen2_profile_years


@lru_cache(maxsize=None)
def _orders(year: int) -> dict[str, dict[str, int]]:
    year = max(year, sen2_profile_years()[0])
    out: dict[str, dict[str, int]] = {}
    for item in sen2_profile(year):
        out.setdefault(item.block, {})[item.item] = item.order
    return out


def shape(element: etree._Element, year: int) -> etree._Element:
    """Filter and order `element`'s descendants for `year`, in place; returns it."""
    orders = _orders(year).get(element.tag)
    if orders is None:
        return element
    children = [c for c in element if isinstance(c.tag, str)]
    for child in children:
        element.remove(child)
    kept = [c for c in children if c.tag in orders and (len(c) or (c.text or "").strip())]
    for child in sorted(kept, key=lambda c: orders[c.tag]):   # stable: repeats keep their order
        element.append(shape(child, year))
    return element


def in_year(block: str, item: str, year: int) -> bool:
    """Whether a year's profile has the item in the block."""
    return item in _orders(year).get(block, {})
