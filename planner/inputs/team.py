"""The service team's rules across the input files: roles (managers and specialists), the
specialists' skills the classes ask for, and who each of the scenario's weekly duties names.

A territory is owned by a manager (role ``manager``): a retailer's ``current_manager`` and a lock
must name one, and there must be at least one. A class with ``specialist_visits_per_cycle``
needs, in every team that has managers, a specialist with its ``specialist_skill`` (the
retailers of a team are visited by that team's specialists). A duty's ``who`` is ``all``, a team
name, a manager id, or a list of manager ids; anything else is an error (not checked for ids
when ``regions.select`` plans one region of a larger file).
"""

from __future__ import annotations

import pandas as pd

from planner.config.scenario import LoadedScenario, Scenario
from planner.errors import ProblemCollector


def duty_members(who: str | list[str], managers: pd.DataFrame) -> set[str]:
    """The manager ids (any role) a duty's ``who`` names: ``all``, a team, an id, or a list of ids."""
    ids = managers["manager_id"].astype(str)
    if isinstance(who, list):
        return set(who) & set(ids)
    if who == "all":
        return set(ids)
    team = set(ids[managers["team"].astype(str) == who])
    return team or ({who} & set(ids))


def check_team(loaded: LoadedScenario, retailers: pd.DataFrame, managers: pd.DataFrame, locked: dict[str, str],
               lock_rows: dict[str, int], lock_file: str, problems: ProblemCollector) -> None:
    """Add a problem for every broken rule of the module docstring."""
    sc: Scenario = loaded.scenario
    mname, rname = managers.attrs.get("file", "managers"), retailers.attrs.get("file", "retailers")
    role = dict(zip(managers["manager_id"].astype(str), managers["role"], strict=True))
    if not (managers["role"] == "manager").any():
        problems.add(mname, "no manager with role manager: territories need at least one (specialists own none)",
                     field="role")
    for k in range(len(retailers)):
        cur = str(retailers["current_manager"].iat[k])
        if cur and role.get(cur) == "specialist":
            problems.add(rname, f"current_manager {cur!r} is a specialist (role specialist): specialists own no "
                         "territory", row=int(retailers["row"].iat[k]), field="current_manager")
    for r, m in sorted(locked.items()):
        if role.get(m) == "specialist":
            problems.add(lock_file, f"manager {m!r} is a specialist: specialists own no territory, a lock must "
                         "name a manager", row=lock_rows.get(r), field="manager_id")
    classes_present = set(retailers["class"].astype(str))
    teams = sorted(set(managers.loc[managers["role"] == "manager", "team"].astype(str)))
    spec = managers[managers["role"] == "specialist"]
    for c, cp in sc.classes.items():
        if not cp.specialist_visits_per_cycle or c not in classes_present:
            continue
        skill = str(cp.specialist_skill).strip().lower()
        for team in teams:
            has = any(skill in sk for sk in spec.loc[spec["team"].astype(str) == team, "skills"])
            if not has:
                problems.add(mname, f"class {c} asks for specialist visits with skill {skill!r}, but team {team!r} "
                             f"has no specialist with it (role specialist, skills {skill})", field="skills")
    sname = str(loaded.path)
    one_region = sc.regions is not None and sc.regions.select is not None
    team_names = set(managers["team"].astype(str))
    ids = set(managers["manager_id"].astype(str))
    for k, duty in enumerate(sc.calendar.duties):
        field = f"calendar.duties.{k}.who"
        if isinstance(duty.who, list):
            unknown = [x for x in duty.who if x not in ids]
            if unknown and not one_region:
                problems.add(sname, f"duty {duty.name!r}: {', '.join(map(repr, unknown))} not in {mname}", field=field)
        elif duty.who != "all" and duty.who not in team_names and duty.who not in ids and not one_region:
            problems.add(sname, f"duty {duty.name!r}: who {duty.who!r} is not all, a team or a manager id of {mname} "
                         f"(teams: {', '.join(sorted(team_names))})", field=field)
