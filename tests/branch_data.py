"""A county branch's own export, as such branches keep it (made from a generated region):

* ``客户.xlsx``: sheet ``零售客户`` with a title row above the header, columns 客户编码 (13 digits
  with leading zeros, stored as text), 客户名称, 许可证号 (18 digits, text), 经营地址, 经营业态,
  市场类型 (城网/农网), 档位 (1-30, numbers), 客户经理 (the manager's *name*), 订货日 (周一..周五),
  联系电话, 经度, 纬度 (GCJ-02, as AMap gives them), 营业时间, and a column the planner does not
  know (备注); sheet ``客户经理`` with 工号, 姓名, 客户服务部, 经度, 纬度 (GCJ-02);
* the same retailer table as CSV in GBK (``零售客户_gbk.csv``) and in UTF-8 (``零售客户_utf8.csv``);
* a scenario with only ``classes``, ``classify``, ``inputs.sheets`` and ``inputs.crs: gcj02``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.inputs.coords import gcj02_to_bd09, wgs84_to_gcj02
from planner.inputs.synthetic import generate_region

FORMATS = ["超市", "烟酒商店", "便利店", "食杂店"]
WEEKDAYS_ZH = ["周一", "周二", "周三", "周四", "周五"]

CLASSIFY = """\
classify:
  - {class: A, 档位: [25, 30]}
  - {class: B, tier: [15, 24]}
  - {class: B, tier: [10, 14], format: [超市, 烟酒商店]}
  - {class: C, market_type: 农网}
  - {class: C}
"""

SCENARIO = """\
name: 县级客户服务部（测试）
inputs:
  retailers: {retailers}
  managers: 客户.xlsx
  sheets: {{retailers: 零售客户, managers: 客户经理}}
  crs: {crs}
classes:
  A: {{visits_per_cycle: 4, service_min: 20, value: 3, label: 重点客户}}
  B: {{visits_per_cycle: 2, service_min: 15, value: 2}}
  C: {{visits_per_cycle: 1, service_min: 10, value: 1}}
"""


def branch_tables(n_retailers: int = 120, n_managers: int = 4, seed: int = 5, work: Path | None = None,
                  crs: str = "gcj02") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two tables of the branch export (Chinese headers; coordinates in ``crs``)."""
    src = work / "generated"
    generate_region(n_retailers=n_retailers, n_managers=n_managers, seed=seed, out=src, kind="county", n_teams=2)
    r = pd.read_csv(src / "retailers.csv", dtype=str, keep_default_na=False)
    m = pd.read_csv(src / "managers.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)

    def convert(lon, lat):
        lon, lat = wgs84_to_gcj02(np.asarray(lon, float), np.asarray(lat, float))
        if crs == "bd09":
            lon, lat = gcj02_to_bd09(lon, lat)
        return np.round(lon, 6), np.round(lat, 6)

    names = {mid: f"客户经理{k + 1}" for k, mid in enumerate(m["manager_id"])}
    mlon, mlat = convert(m["lon"], m["lat"])
    managers = pd.DataFrame({"工号": [f"00{k + 1:03d}" for k in range(len(m))], "姓名": [names[x] for x in m["manager_id"]],
                             "客户服务部": [f"第{t[-1]}客户服务部" for t in m["team"]], "经度": mlon, "纬度": mlat})
    rlon, rlat = convert(r["lon"], r["lat"])
    n = len(r)
    tiers = rng.integers(1, 31, size=n)
    managers_by_id = dict(zip(m["manager_id"], names.values(), strict=True))
    retailers = pd.DataFrame({
        "客户编码": [f"04300{k + 1:08d}" for k in range(n)],
        "客户名称": [f"测试零售户{k + 1}号" for k in range(n)],
        "许可证号": [f"4301{rng.integers(10**13, 10**14 - 1)}" for _ in range(n)],
        "经营地址": [f"长沙县星沙街道{k % 40 + 1}号" for k in range(n)],
        "经营业态": rng.choice(FORMATS, size=n),
        "市场类型": rng.choice(["城网", "农网"], size=n, p=[0.6, 0.4]),
        "档位": tiers,
        "客户经理": [managers_by_id.get(x, "") for x in r["current_manager"]],
        "订货日": rng.choice(WEEKDAYS_ZH, size=n),
        "联系电话": [f"138{rng.integers(10**7, 10**8 - 1)}" for _ in range(n)],
        "经度": rlon, "纬度": rlat,
        "营业时间": ["周一至周日 08:00-21:00" if k % 3 else "" for k in range(n)],
        "备注": ["" if k % 7 else "老客户" for k in range(n)],
    })
    return retailers, managers


def write_branch(folder: Path, *, crs: str = "gcj02", n_retailers: int = 120, n_managers: int = 4, seed: int = 5,
                 retailers_from: str = "客户.xlsx") -> Path:
    """Write the branch export and a scenario into ``folder``; returns the scenario path."""
    import xlsxwriter

    folder.mkdir(parents=True, exist_ok=True)
    r, m = branch_tables(n_retailers, n_managers, seed, folder / ".work", crs)
    write_workbook(folder / "客户.xlsx", r, m, xlsxwriter)
    r.to_csv(folder / "零售客户_gbk.csv", index=False, encoding="gbk")
    r.to_csv(folder / "零售客户_utf8.csv", index=False, encoding="utf-8")
    s = folder / "scenario.yaml"
    s.write_text(SCENARIO.format(retailers=retailers_from, crs=crs) + CLASSIFY, encoding="utf-8")
    return s


def write_workbook(path: Path, r: pd.DataFrame, m: pd.DataFrame, xlsxwriter) -> None:
    """Both sheets, a title row above the retailer header; codes and licences as text cells,
    tiers and coordinates as numbers."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("零售客户")
    ws.write(0, 0, "长沙县烟草专卖局 零售客户信息表（2027年第一季度）")
    text = {"客户编码", "客户名称", "许可证号", "经营地址", "经营业态", "市场类型", "客户经理", "订货日", "联系电话", "营业时间", "备注"}
    for j, c in enumerate(r.columns):
        ws.write_string(1, j, c)
        for i, v in enumerate(r[c].tolist()):
            if c in text:
                ws.write_string(2 + i, j, str(v))
            else:
                ws.write_number(2 + i, j, float(v))
    wm = wb.add_worksheet("客户经理")
    for j, c in enumerate(m.columns):
        wm.write_string(0, j, c)
        for i, v in enumerate(m[c].tolist()):
            if c in ("经度", "纬度"):
                wm.write_number(1 + i, j, float(v))
            else:
                wm.write_string(1 + i, j, str(v))
    wb.close()
