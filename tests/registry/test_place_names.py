"""Place names as people write them, in Khmer, Lao, Vietnamese and Latin script, resolved against
the boundary sets the registry actually holds (the bundled Vietnamese sets, the gazetteer's khans
and the licensed Cambodian and Lao files from shared/geo)."""

from __future__ import annotations

import pytest

from geo.boundaries import read_boundary_file
from geo.bundle import shared_geo_dir
from registry.areas import services as areas
from registry.access.permissions import Actor
from registry.areas.place_names import AmbiguousPlace, Place, PlaceNames, PlaceNotFound
from seeds.boundaries import area_records, licensed_sets
from seeds.load import read_yaml

SYSTEM = Actor.system("place names test")


@pytest.fixture(scope="module")
def places(seeded) -> PlaceNames:
    directory = shared_geo_dir()
    assert (directory / "SOURCES.md").exists(), f"shared/geo not found at {directory}"
    for spec, path, reader in licensed_sets(directory, read_yaml("licensed_boundaries.yaml")):
        if areas.boundary_set(seeded, spec["key"]) is None:
            read = read_boundary_file(path, valid_from=None, valid_to=None, set_id=spec["key"],
                                      **{k: spec[k] for k in ("level", "country", "attribution", "licence")},
                                      **reader)
            areas.import_boundary_set(seeded, SYSTEM, areas=area_records(read), **spec)
    seeded.flush()
    return PlaceNames.load(seeded)


@pytest.mark.parametrize(("written", "code"), [
    ("ភ្នំពេញ", "KH-12"),  # Phnom Penh as people write it, without "រាជធានី" (capital)
    ("រាជធានីភ្នំពេញ", "KH-12"),
    ("ខណ្ឌចំការមន", "KH-1201"),  # with "khan", no space, as Khmer is written
    ("ខណ្ឌ ចំការមន", "KH-1201"),
    ("ខេត្តសៀមរាប", "KH-17"),  # with "province"
    ("Daun Penh", "KH-1202"),  # the data spells it "Doun Penh"
    ("Khan Daun Penh", "KH-1202"),
    ("Chamkarmon", "KH-1201"),
    ("Kompong Cham province", "KH-3"),
    ("Siem Reap province", "KH-17"),
    ("Battambang province", "KH-2"),
    ("ខេត្តបាត់ដំបង", "KH-2"),
    ("Srok Battambang", "KH-0203"),
    ("ແຂວງວຽງຈັນ", "LA-VI"),  # Vientiane province, in Lao with "province"
    ("ນະຄອນຫຼວງວຽງຈັນ", "LA-VT"),  # the capital
    ("ແຂວງຫຼວງພະບາງ", "LA-LP"),
    ("Louangphabang", "LA-LP"),
    ("tỉnh Bắc Ninh", "VN-56"),
    ("Thành phố Hà Nội", "VN-HN"),
    ("TP. Hồ Chí Minh", "VN-SG"),
    ("ha noi", "VN-HN"),
    ("kh-1201", "KH-1201"),
])
def test_names_as_people_write_them(places, written, code):
    assert places.resolve(written) == code


def test_an_ambiguous_name_is_answered_with_the_candidates(places):
    with pytest.raises(AmbiguousPlace) as refused:
        places.resolve("Battambang")
    assert [p.code for p in refused.value.candidates] == ["KH-2", "KH-0203"]
    message = str(refused.value)
    assert "Battambang (province of Cambodia, KH-2)" in message
    assert "Battambang (district of Battambang, KH-0203)" in message
    assert "write the code" in message


def test_vientiane_alone_names_two_places(places):
    with pytest.raises(AmbiguousPlace) as refused:
        places.resolve("Vientiane")
    assert {p.code for p in refused.value.candidates} == {"LA-VI", "LA-VT"}


def test_a_country_narrows_the_candidates():
    names = PlaceNames([Place("VN-XX", "Sample Province", 1, "VN"), Place("KH-98", "Sample Province", 1, "KH")])
    with pytest.raises(AmbiguousPlace):
        names.resolve("Sample Province")
    assert names.resolve("Sample Province", country="KH") == "KH-98"


def test_an_unknown_name_says_so(places):
    with pytest.raises(PlaceNotFound, match="no place called 'Atlantis' is known"):
        places.resolve("Atlantis")


def test_a_kind_that_fits_no_candidate_does_not_hide_the_place(places):
    """"ខេត្តភ្នំពេញ" (Phnom Penh *province*) is loose, but there is only one Phnom Penh."""
    assert places.resolve("ខេត្តភ្នំពេញ") == "KH-12"
