"""Visit classes from the branch's own rules (scenario ``classify``): tier, format, market type or
any other retailer column to class, first match wins.

Each rule is a class and tests on columns (all must hold); a column is named by its canonical
name (``tier``, ``format``, ``market_type``...: the planner's name of a recognised header) or by
the file's own header. A test value is a number or a text (equal: numbers compare as numbers, so
``16`` matches ``16.0``), ``[lo, hi]`` (two numbers: an inclusive numeric range), any other list
(any of its values) or ``{min: lo, max: hi}``. A rule without tests is a catch-all. Retailers no
rule matches are an input error unless a catch-all exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.errors import ProblemCollector
from planner.inputs.tables import RawTable, header_key


@dataclass(frozen=True)
class Classified:
    """The class of every retailer and the rule that gave it (1-based; 0 = none matched)."""

    classes: np.ndarray  # object, "" where no rule matched
    rule: np.ndarray  # int64
    counts: tuple[int, ...]  # retailers taken by each rule


def _numbers(text: pd.Series) -> np.ndarray:
    return pd.to_numeric(text.str.replace(",", ".", regex=False).where(text != "", None), errors="coerce").to_numpy(float)


def _equal(text: pd.Series, num: np.ndarray, value) -> np.ndarray:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return np.isfinite(num) & (num == float(value))
    return (text == str(value).strip()).to_numpy()


def _test(text: pd.Series, value) -> np.ndarray:
    num = _numbers(text)
    if isinstance(value, dict):
        lo, hi = value.get("min", -np.inf), value.get("max", np.inf)
        return np.isfinite(num) & (num >= lo) & (num <= hi)
    if isinstance(value, list):
        if len(value) == 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value):
            return np.isfinite(num) & (num >= value[0]) & (num <= value[1])
        out = np.zeros(len(text), dtype=bool)
        for v in value:
            out |= _equal(text, num, v)
        return out
    return _equal(text, num, value)


def resolve_column(raw: RawTable, cmap: dict[str, str], name: str) -> str | None:
    """The file's column a rule names: a canonical column the file has, else a header of the
    file (matched like headers are: case, spaces and a unit in brackets do not count)."""
    if name in cmap:
        return cmap[name]
    if name in raw.frame.columns:
        return name
    key = header_key(name)
    return next((c for c in raw.frame.columns if header_key(c) == key), None)


def classify(raw: RawTable, cmap: dict[str, str], rules, problems: ProblemCollector) -> Classified:
    """Apply the scenario's ``classify`` rules to the rows of ``raw`` (see the module docstring);
    problems: a rule naming a column the file does not have, and retailers no rule matches."""
    n = len(raw.frame)
    classes = np.full(n, "", dtype=object)
    rule_no = np.zeros(n, dtype=np.int64)
    counts = []
    catch_all = False
    for k, rule in enumerate(rules, start=1):
        mask = np.ones(n, dtype=bool)
        ok = True
        for col, value in rule.tests.items():
            actual = resolve_column(raw, cmap, col)
            if actual is None:
                problems.add(raw.name, f"classify rule {k} tests column {col!r}, which is not in the file; "
                             f"columns are: {', '.join(raw.frame.columns)}", field=col)
                ok = False
                continue
            mask &= _test(raw.frame[actual].astype(str).str.strip(), value)
        if not rule.tests:
            catch_all = True
        take = mask & (rule_no == 0) if ok else np.zeros(n, dtype=bool)
        classes[take] = rule.klass
        rule_no[take] = k
        counts.append(int(take.sum()))
    if not catch_all:
        for i in np.flatnonzero(rule_no == 0):
            problems.add(raw.name, "no classify rule matches this retailer (add a catch-all rule such as "
                         "{class: C} at the end)", row=int(raw.rows[i]), field="class")
    return Classified(classes=classes, rule=rule_no, counts=tuple(counts))
