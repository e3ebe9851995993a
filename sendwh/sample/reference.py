"""Invented reference lists: names, postcode districts, schools per borough."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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


SCHOOL_COUNTS = {"mainstream_primary": 24, "mainstream_secondary": 8, "special": 5,
                 "independent": 8, "college": 4}


def make_schools(rng: np.random.Generator, label: str) -> dict[str, list[School]]:
    """A per-borough list of invented schools (URN 6 digits, UKPRN 8 digits for colleges)."""
    n = sum(SCHOOL_COUNTS.values())
    urns = rng.choice(np.arange(100000, 150000), size=n, replace=False)
    ukprns = rng.choice(np.arange(10000000, 10099999), size=n, replace=False)
    out: dict[str, list[School]] = {}
    i = 0
    for kind, count in SCHOOL_COUNTS.items():
        rows = []
        for j in range(count):
            name = f"{label} {kind.replace('_', ' ').title()} {j + 1}"
            if kind == "college":
                rows.append(School(None, str(int(ukprns[i])), kind, name))
            else:
                rows.append(School(str(int(urns[i])), None, kind, name))
            i += 1
        out[kind] = rows
    return out
