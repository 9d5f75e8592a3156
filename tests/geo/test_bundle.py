from __future__ import annotations

from geo.bundle import DATA_DIR, build_bundle, main


def test_bundle_rebuilds_the_shipped_files_exactly(shared_geo, tmp_path):
    written = build_bundle(shared_geo, tmp_path)
    assert sorted(p.name for p in written.values()) == sorted(p.name for p in DATA_DIR.glob("*.geojson"))
    for path in written.values():
        assert path.read_bytes() == (DATA_DIR / path.name).read_bytes(), f"{path.name} is stale"


def test_bundle_never_ships_the_attribution_licensed_files():
    shipped = {p.name for p in DATA_DIR.iterdir()}
    assert not [name for name in shipped if name.startswith(("kh_", "la_"))]
    assert shipped == {"ne-admin0.geojson", "ne-admin1.geojson", "vn-63-2008.geojson",
                       "vn-34-2025.geojson"}


def test_command_line_refuses_extra_arguments(capsys):
    assert main(["a", "b"]) == 2
    assert "usage: python -m geo.bundle" in capsys.readouterr().out
