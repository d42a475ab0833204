"""Opening hours: a small, documented subset of the OpenStreetMap ``opening_hours`` syntax.

Accepted forms (case-insensitive, rules separated by ``;``)::

    (empty)                      open whenever the manager works
    24/7                         always open
    08:00-20:00                  every day, one window
    Mo-Fr 08:00-12:00,13:30-18:00; Sa 09:00-14:00; Su off

Once a rule names days, unnamed days are closed. Later rules override earlier ones for the days
they name (as in OSM). A window that crosses midnight is cut at 24:00. Chinese weekday names
(周一..周日, 星期一..星期日) and ``至`` / ``~`` as range separators are accepted too.
"""

from __future__ import annotations

import re

DAY_CODES = ("mo", "tu", "we", "th", "fr", "sa", "su")
_ZH_DAYS = {"周一": "mo", "周二": "tu", "周三": "we", "周四": "th", "周五": "fr", "周六": "sa", "周日": "su",
            "周天": "su", "星期一": "mo", "星期二": "tu", "星期三": "we", "星期四": "th", "星期五": "fr",
            "星期六": "sa", "星期日": "su", "星期天": "su"}
_TIME = r"(\d{1,2}):(\d{2})"
_WINDOW = re.compile(rf"^{_TIME}\s*[-~至]\s*{_TIME}$")

Windows = tuple[tuple[int, int], ...]
Week = tuple[Windows, Windows, Windows, Windows, Windows, Windows, Windows]

ALWAYS: Week = tuple(((0, 24 * 3600),) for _ in range(7))  # type: ignore[assignment]


def _normalise(text: str) -> str:
    t = text.strip()
    for zh, code in sorted(_ZH_DAYS.items(), key=lambda kv: -len(kv[0])):
        t = t.replace(zh, code)
    t = t.replace("：", ":").replace("，", ",").replace("；", ";").replace("至", "-").replace("–", "-")
    return t.lower()


def _days(spec: str) -> list[int]:
    out: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = (p.strip()[:2] for p in part.split("-", 1))
            if a not in DAY_CODES or b not in DAY_CODES:
                raise ValueError(f"unknown day range {part!r}")
            i, j = DAY_CODES.index(a), DAY_CODES.index(b)
            rng = list(range(i, j + 1)) if i <= j else list(range(i, 7)) + list(range(0, j + 1))
            out.extend(rng)
        else:
            if part[:2] not in DAY_CODES:
                raise ValueError(f"unknown day {part!r}")
            out.append(DAY_CODES.index(part[:2]))
    return out


def _windows(spec: str) -> Windows:
    spec = spec.strip()
    if spec in ("off", "closed"):
        return ()
    wins = []
    for part in spec.split(","):
        m = _WINDOW.match(part.strip())
        if not m:
            raise ValueError(f"{part.strip()!r} is not a time window like 08:00-18:00")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 24 or h2 > 48 or m1 > 59 or m2 > 59:
            raise ValueError(f"{part.strip()!r} is not a valid time window")
        a, b = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
        if b <= a:  # crosses midnight: cut at 24:00
            b = 24 * 3600
        wins.append((a, min(b, 24 * 3600)))
    wins.sort()
    merged: list[tuple[int, int]] = []
    for a, b in wins:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return tuple(merged)


def parse_opening_hours(text: str | None) -> Week | None:
    """Parse opening hours; ``None`` for empty text (no restriction). Raises ``ValueError``."""
    if text is None:
        return None
    t = _normalise(str(text))
    if not t or t in ("nan", "none"):
        return None
    if t == "24/7":
        return ALWAYS
    week: list[Windows] | None = None
    for rule in (r.strip() for r in t.split(";")):
        if not rule:
            continue
        m = re.match(r"^([a-z,\-\s]+?)\s+(\d.*|off|closed)$", rule)
        if m and any(c in m.group(1) for c in DAY_CODES):
            days = _days(m.group(1))
            wins = _windows(m.group(2))
            if week is None:
                week = [() for _ in range(7)]
            for d in days:
                week[d] = wins
        else:
            wins = _windows(rule)
            week = [wins for _ in range(7)]
    if week is None:
        return None
    return tuple(week)  # type: ignore[return-value]


def format_opening_hours(week: Week | None) -> str:
    """Canonical text of a parsed week (round-trips through :func:`parse_opening_hours`)."""
    if week is None:
        return ""

    def fmt(w: Windows) -> str:
        if not w:
            return "off"
        return ",".join(f"{a // 3600:02d}:{a % 3600 // 60:02d}-{b // 3600:02d}:{b % 3600 // 60:02d}" for a, b in w)

    rules = []
    i = 0
    while i < 7:
        j = i
        while j + 1 < 7 and week[j + 1] == week[i]:
            j += 1
        name = DAY_CODES[i].title() if i == j else f"{DAY_CODES[i].title()}-{DAY_CODES[j].title()}"
        rules.append(f"{name} {fmt(week[i])}")
        i = j + 1
    return "; ".join(rules)


_WEEKDAY_WORDS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
                  "mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4, "sat": 5, "sun": 6,
                  **{c: k for k, c in enumerate(DAY_CODES)}}


def parse_weekdays(text: str | None) -> tuple[int, ...]:
    """Weekdays (0 = Monday .. 6 = Sunday) of a text such as ``周一``, ``星期四``, ``Mon``,
    ``Thursday``, ``1`` (1 = Monday .. 7 = Sunday) or several of them separated by ``,`` ``;``
    ``、`` ``/`` or spaces (``周一、周四``); ``()`` for empty text. Raises ``ValueError``."""
    if text is None:
        return ()
    t = str(text).strip()
    if not t or t.lower() in ("nan", "none"):
        return ()
    for zh, code in sorted(_ZH_DAYS.items(), key=lambda kv: -len(kv[0])):
        t = t.replace(zh, f" {code} ")
    t = re.sub(r"周\s*([1-7])", r" \1 ", t)
    out: list[int] = []
    for tok in re.split(r"[\s,;，；、/|]+", t.lower()):
        if not tok:
            continue
        if tok.isdigit() and 1 <= int(tok) <= 7:
            d = int(tok) - 1
        elif tok.rstrip(".") in _WEEKDAY_WORDS:
            d = _WEEKDAY_WORDS[tok.rstrip(".")]
        else:
            raise ValueError(f"{text!r} is not a weekday (周一..周日, Mon..Sun or 1..7)")
        if d not in out:
            out.append(d)
    return tuple(sorted(out))
