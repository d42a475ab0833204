"""Shared fixtures: tiny scenarios written to temporary folders, and the shared benchmarks path."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_BENCHMARKS = ROOT.parent / "shared" / "benchmarks"

BASE_SCENARIO = """\
name: tiny
inputs:
  retailers: retailers.csv
  managers: managers.csv
classes:
  A: {visits_per_cycle: 4, service_min: 20, value: 3}
  B: {visits_per_cycle: 2, service_min: 15, value: 2}
  C: {visits_per_cycle: 1, service_min: 10, value: 1}
calendar:
  start_date: 2027-01-04
  weeks: 4
travel: {model: straight_line, speed_kmh: 25, circuity: 1.3}
schedule: {method: greedy}
solver: {seed: 1, territory_time_limit_s: 5, max_iterations: 200}
"""

RETAILERS = """\
retailer_id,lon,lat,class,opening_hours,current_manager
R1,24.9400,60.1700,A,Mo-Fr 08:00-18:00,M1
R2,24.9410,60.1705,B,,M1
R3,24.9420,60.1710,C,,M1
R4,24.9500,60.1650,A,,M2
R5,24.9510,60.1655,B,Mo-Sa 09:00-17:00,M2
R6,24.9520,60.1660,C,,M2
"""

MANAGERS = """\
manager_id,lon,lat,team
M1,24.9405,60.1702,T1
M2,24.9505,60.1652,T1
"""


def write_scenario(folder: Path, *, scenario: str = BASE_SCENARIO, retailers: str | bytes = RETAILERS,
                   managers: str = MANAGERS, encoding: str = "utf-8", extra: dict[str, str | bytes] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    r = folder / "retailers.csv"
    if isinstance(retailers, bytes):
        r.write_bytes(retailers)
    else:
        r.write_bytes(textwrap.dedent(retailers).encode(encoding))
    (folder / "managers.csv").write_text(textwrap.dedent(managers), encoding="utf-8")
    for name, content in (extra or {}).items():
        p = folder / name
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    s = folder / "scenario.yaml"
    s.write_text(textwrap.dedent(scenario), encoding="utf-8")
    return s


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A valid six-retailer, two-manager scenario (straight line, greedy calendar)."""
    return write_scenario(tmp_path / "tiny")


@pytest.fixture(scope="session")
def small_region(tmp_path_factory) -> Path:
    """A generated county with 120 retailers and 4 managers, scenario set to fast methods."""
    from planner.inputs.synthetic import generate_region

    out = tmp_path_factory.mktemp("region") / "county"
    generate_region(n_retailers=120, n_managers=4, seed=3, out=out, kind="county", n_teams=2)
    s = out / "scenario.yaml"
    text = s.read_text(encoding="utf-8")
    text = text.replace("solver:\n  seed: 3", "schedule: {method: greedy}\nsolver:\n  seed: 3\n  territory_time_limit_s: 5\n  max_iterations: 300")
    s.write_text(text, encoding="utf-8")
    return s


KPIS_SCHEMA = ROOT / "planner" / "plan" / "kpis.schema.json"


def check_kpis_schema(path: Path) -> None:
    """Raise if ``path`` (a kpis.json) does not follow ``planner/plan/kpis.schema.json``."""
    import jsonschema

    schema = json.loads(KPIS_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(Path(path).read_text(encoding="utf-8")), schema)


@pytest.fixture(autouse=True)
def kpis_files_follow_the_schema(request, tmp_path_factory):
    """Every kpis.json a test writes (anywhere under pytest's temporary folders) follows the
    documented schema: checked after each test on the files written during it."""
    start = time.time() - 1.0
    yield
    base = tmp_path_factory.getbasetemp()
    bad = []
    for p in base.rglob("kpis.json"):
        try:
            if p.stat().st_mtime < start:
                continue
            check_kpis_schema(p)
        except FileNotFoundError:
            continue
        except Exception as e:  # noqa: BLE001 - report the schema error with its file
            bad.append(f"{p}: {getattr(e, 'message', e)}")
    assert not bad, "kpis.json does not follow planner/plan/kpis.schema.json:\n" + "\n".join(bad[:5])
