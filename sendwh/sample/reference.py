"""Invented reference lists: names, postcode districts, schools per borough."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SURNAMES = """Smith Jones Williams Brown Taylor Davies Evans Wilson Thomas Johnson Roberts
Robinson Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel
Jackson Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison
Morgan Allen Ahmed Khan Ali Hussain Begum Okafor Mensah Adeyemi Mohamed Nowak Kowalski
Silva Santos Rossi Costa Murphy Kelly Byrne Chen Wang Nguyen Ibrahim Hassan Osei""".split()
MALE_NAMES = """Oliver George Harry Noah Jack Leo Arthur Muhammad Oscar Charlie Jacob Thomas
Henry William Alfie Joshua Freddie Archie Theo Isaac Adam Samuel Daniel Yusuf Omar Ethan
Lucas Mason Logan Max Reuben Elijah Kai Zain Tobias Luca Felix Rory Ezra Aaron""".split()
FEMALE_NAMES = """Olivia Amelia Isla Ava Mia Ivy Lily Isabella Rosie Sophia Grace Freya
Willow Florence Emily Ella Poppy Evie Elsie Charlotte Aisha Maryam Fatima Zara Hana Chloe
Layla Ruby Sienna Alice Matilda Daisy Esme Nia Amara Leah Eva Maya Sofia Iris""".split()

POSTCODE_DISTRICTS = {
    "HF": ["W6", "W12", "W14", "SW6", "W4", "NW10"],
    "KC": ["W8", "W10", "W11", "SW3", "SW5", "SW7", "SW10"],
    "WCC": ["W1", "W2", "W9", "NW1", "NW8", "SW1", "WC2"],
}
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(frozen=True, slots=True)
class School:
    urn: str | None
    ukprn: str | None
    kind: str      # mainstream_primary, mainstream_secondary, special, independent, college
    name: str


ESTABLISHMENTS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "establishments.csv"
# the seed's sample_kind -> the generator's placement kinds
_KIND = {"non_maintained": "independent"}


@lru_cache
def load_schools(borough: str) -> dict[str, list[School]]:
    """The borough's invented schools, from the establishments seed the warehouse maps
    placements with (one list, so sample placements always resolve to a placement group)."""
    out: dict[str, list[School]] = {}
    with ESTABLISHMENTS.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["borough"] != borough:
                continue
            kind = _KIND.get(row["sample_kind"], row["sample_kind"])
            out.setdefault(kind, []).append(
                School(row["urn"] or None, row["ukprn"] or None, kind, row["establishment_name"]))
    if not out:
        raise ValueError(f"no establishments for {borough} in {ESTABLISHMENTS.name}")
    return out
