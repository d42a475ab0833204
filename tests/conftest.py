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


CHINA_SCENARIO = """\
name: 成都 tiny
inputs:
  retailers: retailers.csv
  managers: managers.csv
  crs: gcj02
classes:
  A: {visits_per_cycle: 4, service_min: 20, value: 3, label: 重点客户}
  B: {visits_per_cycle: 2, service_min: 15, value: 2}
  C: {visits_per_cycle: 1, service_min: 10, value: 1}
  R: {visits_per_cycle: 2, service_min: 5, mode: remote, label: 电话服务}
calendar:
  start_date: 2027-01-04
  weeks: 2
travel: {model: straight_line, speed_kmh: 25, circuity: 1.3}
schedule: {method: greedy}
solver: {seed: 1, territory_time_limit_s: 5, max_iterations: 200}
report: {tiles: amap}
"""

CHINA_RETAILERS = """\
客户编码,客户名称,经营地址,联系电话,经度,纬度,客户类别,营业时间,客户经理,订货日
C01,锦江烟酒店,锦江区红星路一段1号,028-1111,104.0810,30.6580,A,周一至周六 08:00-20:00,M1,周二
C02,春熙便利,锦江区春熙路2号,028-2222,104.0825,30.6590,B,,M1,
C03,"老王超市, 分店",锦江区总府路3号,028-3333,104.0790,30.6570,C,,M1,周三
C04,青羊烟酒,青羊区人民中路4号,028-4444,104.0600,30.6700,A,,M2,
C05,宽窄巷子店,青羊区长顺街5号,028-5555,104.0580,30.6690,B,,M2,
C06,文殊坊超市,青羊区文殊院街6号,028-6666,104.0700,30.6770,C,,M2,
C07,远程一号,锦江区东大街7号,028-7777,104.0850,30.6550,R,,M1,
C08,远程二号,青羊区西大街8号,028-8888,104.0550,30.6720,R,,M2,
"""

CHINA_MANAGERS = """\
manager_id,lon,lat,team
M1,104.0800,30.6575,锦江组
M2,104.0620,30.6710,青羊组
"""


@pytest.fixture(scope="session")
def china_plan(tmp_path_factory) -> Path:
    """A plan of eight retailers in Chengdu given in GCJ-02 (AMap) coordinates, with Chinese
    headers, a remote class and ``report.tiles: amap``; written once per session."""
    from planner.config.scenario import load_scenario
    from planner.workflows.run import run_scenario

    base = tmp_path_factory.mktemp("china")
    s = write_scenario(base / "inputs", scenario=CHINA_SCENARIO, retailers=CHINA_RETAILERS, managers=CHINA_MANAGERS)
    res = run_scenario(load_scenario(s), out=base / "plan", lang="zh")
    assert res.validation.ok
    return base / "plan"
