"""Data loading: formats, encodings, coordinate systems, and every bad-input case with its message."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from conftest import BASE_SCENARIO, MANAGERS, RETAILERS, write_scenario
from shapely.geometry import Point, box

from planner.config.scenario import load_scenario
from planner.errors import DataError
from planner.inputs.coords import wgs84_to_bd09, wgs84_to_gcj02
from planner.inputs.dataset import load_dataset


def load(path):
    return load_dataset(load_scenario(path))


def errors_of(path) -> str:
    with pytest.raises(DataError) as e:
        load(path)
    return str(e.value)


def test_csv_utf8_loads(tiny):
    ds = load(tiny)
    r = ds.retailers
    assert list(r["retailer_id"]) == ["R1", "R2", "R3", "R4", "R5", "R6"]
    assert r["service_s"].tolist() == [1200, 900, 600, 1200, 900, 600]
    assert r.loc[0, "hours"][0] == ((8 * 3600, 18 * 3600),) and r.loc[0, "hours"][5] == ()
    assert r.loc[1, "hours"] is None
    assert ds.managers["shift_start_s"].tolist() == [30600, 30600]
    assert np.all(np.isfinite(r[["x", "y"]].to_numpy()))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_csv_encodings(tmp_path, encoding):
    text = RETAILERS.replace("retailer_id,lon", "retailer_id,name,lon").replace("R1,24", "R1,烟酒店,24")
    for k in range(2, 7):
        text = text.replace(f"R{k},24", f"R{k},便利店{k},24")
    s = write_scenario(tmp_path, retailers=text, encoding=encoding)
    ds = load(s)
    assert ds.retailers.loc[0, "name"] == "烟酒店"
    assert ds.retailers.attrs["encoding"] in ("utf-8-sig", "gb18030")


def test_chinese_column_names_and_mapping(tmp_path):
    text = "客户编码,经度,纬度,客户类别,档位\nR1,24.94,60.17,A,16\nR2,24.95,60.16,C,3\n"
    s = write_scenario(tmp_path, retailers=text.encode("gbk"))
    ds = load(s)
    assert list(ds.retailers["class"]) == ["A", "C"]
    assert list(ds.retailers["tier"]) == ["16", "3"]  # 档位 is the tier, not the class
    text2 = "code,E,N,grade\nR1,24.94,60.17,A\n"
    scen = BASE_SCENARIO.replace("  managers: managers.csv\n",
                                 "  managers: managers.csv\n  columns: {retailer_id: code, lon: E, lat: N, class: grade}\n")
    ds = load(write_scenario(tmp_path / "m", scenario=scen, retailers=text2))
    assert ds.retailers.loc[0, "retailer_id"] == "R1"


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet", ".shp"])
def test_spatial_formats(tmp_path, suffix):
    gdf = gpd.GeoDataFrame({"retailer_id": ["S1", "S2", "S3"], "class": ["A", "B", "C"],
                            "opening_hours": ["", "08:00-20:00", ""]},
                           geometry=[Point(24.94, 60.17), Point(24.95, 60.168), Point(24.945, 60.165)], crs=4326)
    folder = tmp_path / suffix.strip(".")
    folder.mkdir()
    path = folder / f"shops{suffix}"
    if suffix == ".parquet":
        gdf.to_parquet(path)
    else:
        gdf.to_file(path)
    s = write_scenario(folder, scenario=BASE_SCENARIO.replace("retailers: retailers.csv", f"retailers: shops{suffix}"))
    ds = load(s)
    assert list(ds.retailers["retailer_id"]) == ["S1", "S2", "S3"]
    assert ds.retailers.loc[0, "lon"] == pytest.approx(24.94)


def test_spatial_file_in_projected_crs_is_converted(tmp_path):
    gdf = gpd.GeoDataFrame({"retailer_id": ["S1"], "class": ["A"]}, geometry=[Point(24.94, 60.17)], crs=4326).to_crs(3067)
    gdf.to_file(tmp_path / "shops.gpkg")
    s = write_scenario(tmp_path, scenario=BASE_SCENARIO.replace("retailers: retailers.csv", "retailers: shops.gpkg"))
    ds = load(s)
    assert ds.retailers.loc[0, "lon"] == pytest.approx(24.94, abs=1e-7)


@pytest.mark.parametrize("crs,fwd", [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_chinese_datums_are_converted_on_load(tmp_path, crs, fwd):
    lon, lat = 116.397, 39.909
    glon, glat = fwd(lon, lat)
    text = f"retailer_id,lon,lat,class\nR1,{float(glon):.8f},{float(glat):.8f},A\nR2,116.40,39.91,B\n"
    mgr = "manager_id,lon,lat,team\nM1,116.40,39.91,T1\n"
    scen = BASE_SCENARIO.replace("  managers: managers.csv\n", f"  managers: managers.csv\n  crs: {crs}\n")
    ds = load(write_scenario(tmp_path, scenario=scen, retailers=text, managers=mgr))
    assert ds.retailers.loc[0, "lon"] == pytest.approx(lon, abs=2e-6)
    assert ds.retailers.loc[0, "lat"] == pytest.approx(lat, abs=2e-6)
    assert abs(glon - lon) > 1e-3  # the offset is real (hundreds of metres)


BAD_ROWS = [
    ("R2,24.9410,60.1705,B,,M1", "R1,24.9410,60.1705,B,,M1", "row 3, field 'retailer_id': duplicate id 'R1' (first used on row 2)"),
    ("R2,24.9410,60.1705,B,,M1", "R2,,60.1705,B,,M1", "row 3, field 'lon': value is missing"),
    ("R2,24.9410,60.1705,B,,M1", "R2,abc,60.1705,B,,M1", "row 3, field 'lon': 'abc' is not a number"),
    ("R2,24.9410,60.1705,B,,M1", "R2,24.9410,95.0,B,,M1", "row 3, field 'lat': latitude 95 is out of range"),
    ("R2,24.9410,60.1705,B,,M1", "R2,200.0,60.1705,B,,M1", "row 3, field 'lon': longitude 200 is out of range"),
    ("R2,24.9410,60.1705,B,,M1", "R2,60.1705,24.9410,B,,M1", "row 3, field 'lon/lat': lon=60.1705, lat=24.941 look swapped"),
    ("R2,24.9410,60.1705,B,,M1", "R2,24.9410,60.1705,X,,M1", "row 3, field 'class': unknown class 'X'; the scenario defines A, B, C"),
    ("R2,24.9410,60.1705,B,,M1", "R2,24.9410,60.1705,,,M1", "row 3, field 'class': class is missing"),
    ("R2,24.9410,60.1705,B,,M1", "R2,24.9410,60.1705,B,,M9", "row 3, field 'current_manager': current_manager 'M9' is not in managers.csv"),
    ("R2,24.9410,60.1705,B,,M1", "R2,24.9410,60.1705,B,9-17,M1", "row 3, field 'opening_hours': cannot read opening hours '9-17'"),
    ("R2,24.9410,60.1705,B,,M1", "R2,0,0,B,,M1", "row 3, field 'lon/lat': coordinates are 0, 0"),
]


@pytest.mark.parametrize("old,new,expected", BAD_ROWS)
def test_bad_retailer_rows(tmp_path, old, new, expected):
    s = write_scenario(tmp_path, retailers=RETAILERS.replace(old, new))
    msg = errors_of(s)
    assert f"retailers.csv, {expected}" in msg, msg


def test_negative_durations(tmp_path):
    text = RETAILERS.replace("current_manager", "current_manager,service_min")
    text = "\n".join(line + (",-5" if line.startswith("R3") else ",") if not line.startswith("retailer") else line
                     for line in text.strip().splitlines()) + "\n"
    mgr = MANAGERS.replace("team", "team,shift_start,shift_end").replace("T1\nM2", "T1,17:00,09:00\nM2").replace(",T1\n", ",T1,,\n")
    msg = errors_of(write_scenario(tmp_path, retailers=text, managers=mgr))
    assert "retailers.csv, row 4, field 'service_min': -5 is negative" in msg
    assert "managers.csv, row 2, field 'shift_end': shift_end must be after shift_start (negative shift length)" in msg


def test_all_bad_rows_reported_together(tmp_path):
    text = RETAILERS.replace("R2,24.9410", "R1,24.9410").replace("R5,24.9510,60.1655,B", "R5,24.9510,60.1655,Z")
    msg = errors_of(write_scenario(tmp_path, retailers=text))
    assert "2 problems" in msg and "duplicate id" in msg and "unknown class 'Z'" in msg


def test_empty_and_header_only_and_missing_column(tmp_path):
    msg = errors_of(write_scenario(tmp_path / "a", retailers=""))
    assert "retailers.csv: the file is empty" in msg
    msg = errors_of(write_scenario(tmp_path / "b", retailers="retailer_id,lon,lat,class\n"))
    assert "retailers.csv: the file has a header (row 1) but no data rows" in msg
    msg = errors_of(write_scenario(tmp_path / "c", retailers="retailer_id,lon,lat\nR1,24.9,60.1\n"))
    assert "required column 'class' is missing" in msg


def test_manager_errors(tmp_path):
    mgr = MANAGERS + "M2,24.96,60.17,T2\nM3,,60.17,T2\n"
    msg = errors_of(write_scenario(tmp_path, managers=mgr))
    assert "managers.csv, row 4, field 'manager_id': duplicate id 'M2'" in msg
    assert "managers.csv, row 5, field 'lon': value is missing" in msg


def test_locked_file_errors(tmp_path):
    scen = BASE_SCENARIO.replace("  managers: managers.csv\n", "  managers: managers.csv\n  locked: locked.csv\n")
    s = write_scenario(tmp_path, scenario=scen, extra={"locked.csv": "retailer_id,manager_id\nR1,M2\nR99,M1\nR3,M7\n"})
    msg = errors_of(s)
    assert "locked.csv, row 3, field 'retailer_id': retailer 'R99' is not in retailers.csv" in msg
    assert "locked.csv, row 4, field 'manager_id': manager 'M7' is not in managers.csv" in msg


def test_districts_assigned_by_polygon(tmp_path):
    d = gpd.GeoDataFrame({"district_id": ["W", "E"]}, geometry=[box(24.93, 60.16, 24.945, 60.18), box(24.945, 60.16, 24.96, 60.18)], crs=4326)
    d.to_file(tmp_path / "districts.geojson")
    scen = BASE_SCENARIO.replace("  managers: managers.csv\n", "  managers: managers.csv\n  districts: districts.geojson\n")
    ds = load(write_scenario(tmp_path, scenario=scen))
    assert list(ds.retailers["district"]) == ["W", "W", "W", "E", "E", "E"]


def test_unreadable_spatial_file(tmp_path):
    (tmp_path / "shops.geojson").write_text("{not json", encoding="utf-8")
    s = write_scenario(tmp_path, scenario=BASE_SCENARIO.replace("retailers: retailers.csv", "retailers: shops.geojson"))
    assert "shops.geojson: cannot read the file" in errors_of(s)
