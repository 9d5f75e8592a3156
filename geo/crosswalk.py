"""Crosswalks between boundary sets: which area of a newer set each code of an older one became.

Vietnam's 63 provinces each went whole into one of the 34 of 2025 (Resolution 202/2025/QH15), so
that crosswalk is a plain {old code: new code} mapping read from the 34 set's merged_from_iso.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from geo.boundaries import BoundarySet, load_bundled
from geo.errors import BoundaryError

__all__ = ["check_crosswalk", "merges", "rekey_codes", "rekey_counts", "vietnam_2025"]


def merges(new_set: BoundarySet, field: str = "merged_from_iso") -> dict[str, str]:
    """{old code: new code} from the list of old codes each area of `new_set` holds in `field`.

    Empty for a set without that field. An old code claimed by two new areas is refused: at
    province level no old unit was split, and a split cannot be re-keyed without double counting.
    """
    mapping: dict[str, str] = {}
    problems: list[str] = []
    for area in new_set.areas:
        for old in area.properties.get(field) or ():
            if old in mapping and mapping[old] != area.code:
                problems.append(f"{old} is listed as merged into both {mapping[old]} and {area.code}")
            mapping[old] = area.code
    if problems:
        raise BoundaryError(problems)
    return mapping


def check_crosswalk(mapping: Mapping[str, str], old_set: BoundarySet, new_set: BoundarySet) -> list[str]:
    """What keeps `mapping` from carrying every area of `old_set` onto `new_set` (empty if nothing)."""
    problems = [f"{code} ({old_set.area(code).name}) has no area in {new_set.id}"
                for code in old_set.codes() if code not in mapping]
    problems += [f"{old} maps to {new}, which is not in {new_set.id}"
                 for old, new in mapping.items() if new not in new_set]
    return problems


def vietnam_2025() -> dict[str, str]:
    """The 63 → 34 province crosswalk; every pre-2025 code maps, kept codes map to themselves."""
    old_set, new_set = load_bundled("vn-63-2008"), load_bundled("vn-34-2025")
    mapping = merges(new_set)
    problems = check_crosswalk(mapping, old_set, new_set)
    if problems:
        raise BoundaryError(problems)
    return mapping


def rekey_codes(codes: Iterable[str], mapping: Mapping[str, str]) -> list[str]:
    """One organisation's area codes on the new set: mapped, de-duplicated, in the order given.

    Codes the mapping does not know pass through unchanged (they may already be new codes).
    """
    return list(dict.fromkeys(mapping.get(code, code) for code in codes))


def rekey_counts(counts: Mapping[str, int], mapping: Mapping[str, str]) -> dict[str, int]:
    """Per-area counts moved onto the new set, adding up areas that merged.

    Adding is right for things that sit in one area only (e.g. outreach contacts). It over-counts
    organisations that served two merged provinces: count those by re-keying each organisation's
    codes with rekey_codes first (geo.coverage does this).
    """
    out: dict[str, int] = {}
    for code, n in counts.items():
        new = mapping.get(code, code)
        out[new] = out.get(new, 0) + n
    return out
