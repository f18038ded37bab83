"""Slow pure-Python reference implementations that the numpy kernels must match.

Written for clarity, row by row, with no numpy and no pandas group-by.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, pd.NA raise or are unequal to themselves
    except TypeError:
        return True


def criterion_match(kind: str, params: dict[str, Any], value: Any) -> bool:
    """Whether one value meets one criterion (missing never matches)."""
    if is_missing(value):
        return False
    if kind == "one_of":
        return any(value == v for v in params["values"])
    if kind == "equals":
        return bool(value == params["value"])
    x = float(value)
    if kind == "at_least":
        return x >= params["value"]
    if kind == "at_most":
        return x <= params["value"]
    if kind == "between":
        low, high, closed = params["low"], params["high"], params["closed"]
        if low is not None:
            if closed in ("both", "left") and not x >= low:
                return False
            if closed in ("right", "neither") and not x > low:
                return False
        if high is not None:
            if closed in ("both", "right") and not x <= high:
                return False
            if closed in ("left", "neither") and not x < high:
                return False
        return True
    raise AssertionError(kind)


def icp_fit(rows: Sequence[dict[str, Any]], criteria: Sequence[dict[str, Any]]) -> list[float]:
    """sum(weight * match) / sum(weight) for every row, one row at a time."""
    total_weight = math.fsum(c["weight"] for c in criteria)
    out = []
    for row in rows:
        acc = 0.0
        for c in criteria:
            params = {k: v for k, v in c.items() if k not in ("kind", "column", "weight", "name")}
            if criterion_match(c["kind"], params, row[c["column"]]):
                acc += c["weight"]
        out.append(acc / total_weight)
    return out


def group_count(
    codes: Sequence[int], n_groups: int, mask: Sequence[bool] | None = None
) -> list[int]:
    out = [0] * n_groups
    for i, code in enumerate(codes):
        if mask is None or mask[i]:
            out[code] += 1
    return out


def group_counts(labels: Sequence[Any], flags: Sequence[bool]) -> dict[Any, tuple[int, int]]:
    """(icp, total) per label, with missing labels gathered under None."""
    counts: dict[Any, list[int]] = {}
    for label, flag in zip(labels, flags, strict=True):
        key = None if is_missing(label) else label
        entry = counts.setdefault(key, [0, 0])
        entry[0] += int(bool(flag))
        entry[1] += 1
    return {k: (v[0], v[1]) for k, v in counts.items()}


# --------------------------------------------------------------------------
# scoring


def decay(age: float, kind: str, scale: float) -> float:
    if kind == "exponential":
        return 0.5 ** (age / scale)
    if kind == "linear":
        return max(0.0, 1.0 - age / scale)
    return 1.0


def score(
    events: Sequence[tuple[Any, str, float]],
    points: dict[str, float],
    *,
    kind: str = "none",
    scale: float = 1.0,
    event_caps: dict[str, float] | None = None,
    cap: float | None = None,
    as_of: float | None = None,
) -> dict[Any, float]:
    """Score per contact from (contact, event type, time in days) triples."""
    if as_of is None:
        as_of = max(t for _, _, t in events)
    per_type: dict[Any, dict[str, float]] = {}
    for contact, event, t in events:
        if t > as_of:
            continue
        types = per_type.setdefault(contact, {})
        types[event] = types.get(event, 0.0) + points[event] * decay(as_of - t, kind, scale)
    out = {}
    for contact, types in per_type.items():
        acc = 0.0
        for event, value in types.items():
            if event_caps and event in event_caps:
                value = min(value, event_caps[event])
            acc += value
        out[contact] = acc if cap is None else min(acc, cap)
    return out


# --------------------------------------------------------------------------
# accounts


def rollup(
    scores: dict[Any, float], accounts: dict[Any, Any], k: int
) -> dict[Any, dict[str, float]]:
    members: dict[Any, list[float]] = {}
    scored: dict[Any, int] = {}
    for contact, account in accounts.items():
        members.setdefault(account, []).append(scores.get(contact, 0.0))
        scored[account] = scored.get(account, 0) + (contact in scores)
    out = {}
    for account, values in members.items():
        ranked = sorted(values, reverse=True)
        out[account] = {
            "n_contacts": len(values),
            "n_scored": scored[account],
            "total": math.fsum(values),
            "max": max(values),
            "mean": math.fsum(values) / len(values),
            "top": math.fsum(ranked[:k]),
        }
    return out


def abm_handover(
    values: Sequence[float], *, single: float = 100, several: float = 60, count: int = 3
) -> tuple[bool, list[str]]:
    """'any contact >= single, or >= count contacts at >= several' for one account."""
    reasons = []
    if any(v >= single for v in values):
        reasons.append(f"any contact >= {single:g}")
    if sum(v >= several for v in values) >= count:
        reasons.append(f"{count} contacts >= {several:g}")
    return bool(reasons), reasons


def first_below(
    events: Sequence[tuple[Any, str, float]],
    points: dict[str, float],
    threshold: float,
    *,
    kind: str,
    scale: float,
    event_caps: dict[str, float] | None = None,
    cap: float | None = None,
    as_of: float,
    horizon: float,
    steps: int = 4000,
) -> dict[Any, float]:
    """Days until each contact's score drops below threshold: grid scan, then bisection."""
    past = [e for e in events if e[2] <= as_of]

    def at(delta: float) -> dict[Any, float]:
        return score(
            past,
            points,
            kind=kind,
            scale=scale,
            event_caps=event_caps,
            cap=cap,
            as_of=as_of + delta,
        )

    contacts = list(at(0.0))
    out = {}
    for contact in contacts:
        f = lambda d, c=contact: at(d)[c]  # noqa: E731
        if f(0.0) < threshold:
            out[contact] = 0.0
            continue
        prev, found = 0.0, None
        for k in range(1, steps + 1):
            d = horizon * k / steps
            if f(d) < threshold:
                found = (prev, d)
                break
            prev = d
        if found is None:
            out[contact] = math.inf
            continue
        lo, hi = found
        for _ in range(60):
            mid = (lo + hi) / 2
            if f(mid) < threshold:
                hi = mid
            else:
                lo = mid
        out[contact] = hi
    return out


# --------------------------------------------------------------------------
# funnels from stage-event logs


def funnel_counts(
    events: Sequence[tuple[Any, str, float]], stages: Sequence[str], *, backfill: bool
) -> tuple[list[int], list[float | None]]:
    """Entities reaching each stage, and the median days from entering each stage to the next."""
    entries: dict[Any, dict[str, float]] = {}
    for entity, stage, t in events:
        seen = entries.setdefault(entity, {})
        seen[stage] = min(t, seen.get(stage, math.inf))
    counts = []
    for k, stage in enumerate(stages):
        n = 0
        for seen in entries.values():
            if backfill:
                furthest = max(stages.index(s) for s in seen)
                n += furthest >= k
            else:
                n += stage in seen
        counts.append(n)
    medians: list[float | None] = []
    for k in range(len(stages)):
        if k == len(stages) - 1:
            medians.append(None)
            continue
        spans = sorted(
            seen[stages[k + 1]] - seen[stages[k]]
            for seen in entries.values()
            if stages[k] in seen and stages[k + 1] in seen
        )
        if not spans:
            medians.append(None)
        else:
            mid = len(spans) // 2
            medians.append(spans[mid] if len(spans) % 2 else (spans[mid - 1] + spans[mid]) / 2)
    return counts, medians


# --------------------------------------------------------------------------
# ABM prioritisation


def priorities(
    rows: Sequence[dict[str, float]], weights: dict[str, float], scales: dict[str, float]
) -> list[float]:
    total = math.fsum(weights.values())
    return [
        math.fsum(w * row[c] / scales.get(c, 1.0) for c, w in weights.items()) / total
        for row in rows
    ]


def ranks(values: Sequence[float]) -> list[int]:
    """1 = largest; ties keep input order."""
    order = sorted(range(len(values)), key=lambda i: (-values[i], i))
    out = [0] * len(values)
    for position, i in enumerate(order, start=1):
        out[i] = position
    return out


def scorecard(
    contacts: Sequence[tuple[str, str, str | None]],
    events: Sequence[tuple[str, str, float, str | None]],
    *,
    target: int,
    channels: Sequence[str],
    content: Sequence[str],
) -> dict[str, dict[str, float]]:
    """contacts: (contact, account, referred_by); events: (contact, channel, minutes, content)."""
    account_of = {c: a for c, a, _ in contacts}
    out: dict[str, dict[str, float]] = {}
    for account in sorted(set(account_of.values())):
        members = [c for c, a, _ in contacts if a == account]
        mine = [e for e in events if account_of[e[0]] == account]
        engaged = {e[0] for e in mine}
        seen = {e[3] for e in mine if e[3] in content}
        touched = {e[1] for e in mine if e[1] in channels}
        referred = [
            c
            for c, a, r in contacts
            if a == account and r is not None and r != c and account_of.get(r) == account
        ]
        out[account] = {
            "n_contacts": len(members),
            "engaged_contacts": len(engaged),
            "coverage": min(1.0, len(engaged) / target),
            "awareness": len(seen) / len(content),
            "touches": len(mine),
            "engagement_minutes": math.fsum(e[2] for e in mine),
            "reach": len(touched) / len(channels),
            "referrals": len(referred),
            "influence": len(referred) / len(members),
        }
    return out


# --------------------------------------------------------------------------
# evaluation


def auc(scores: Sequence[float], outcomes: Sequence[bool]) -> float:
    """Pairwise definition: P(score of a won case > score of a lost case), ties one half."""
    pos = [s for s, o in zip(scores, outcomes, strict=True) if o]
    neg = [s for s, o in zip(scores, outcomes, strict=True) if not o]
    total = 0.0
    for p in pos:
        for q in neg:
            total += 1.0 if p > q else 0.5 if p == q else 0.0
    return total / (len(pos) * len(neg))


def hhi(revenue: Sequence[float]) -> float:
    total = math.fsum(revenue)
    return math.fsum((r / total) ** 2 for r in revenue)


# --------------------------------------------------------------------------
# ids


def sorted_codes(labels: Sequence[str]) -> tuple[list[int], list[str]]:
    """Code of each label = its rank among the distinct labels in sorted order."""
    uniques = sorted(set(labels))
    rank = {label: i for i, label in enumerate(uniques)}
    return [rank[label] for label in labels], uniques


def group_median(codes: Sequence[int], values: Sequence[float], n_groups: int) -> list[float]:
    """Median per group code (NaN for an empty group), with statistics.median."""
    members: list[list[float]] = [[] for _ in range(n_groups)]
    for code, value in zip(codes, values, strict=True):
        members[code].append(value)
    return [statistics.median(m) if m else math.nan for m in members]


# --------------------------------------------------------------------------
# survival


def aalen_johansen(
    durations: Sequence[float], outcome: Sequence[int]
) -> list[tuple[float, float, float, int]]:
    """(time, cumulative incidence of outcome 1, its variance, at risk) per event time.

    Tie-aware, written out time by time: at an event time every entity with
    a duration >= it is at risk, and all events at that time count together.
    The variance is summed term by term as in Collett (Greenwood-type).
    """
    times = sorted({t for t, o in zip(durations, outcome, strict=True) if o != 0})
    rows = []
    survival = 1.0
    cif = 0.0
    terms: list[tuple[float, float, float, float, float]] = []  # F_i, n, d, d1, S(t_i-)
    for t in times:
        n = sum(1 for x in durations if x >= t)
        d = sum(1 for x, o in zip(durations, outcome, strict=True) if x == t and o != 0)
        d1 = sum(1 for x, o in zip(durations, outcome, strict=True) if x == t and o == 1)
        before = survival
        cif += before * d1 / n
        survival *= 1.0 - d / n
        terms.append((cif, n, d, d1, before))
        variance = 0.0
        for f_i, n_i, d_i, d1_i, s_i in terms:
            if n_i > d_i:
                variance += (cif - f_i) ** 2 * d_i / (n_i * (n_i - d_i))
            variance += s_i**2 * d1_i * (n_i - d1_i) / n_i**3
            variance -= 2.0 * (cif - f_i) * s_i * d1_i / n_i**2
        rows.append((t, cif, max(variance, 0.0), n))
    return rows


# --------------------------------------------------------------------------
# attribute points


def points_item(item: dict[str, Any], value: Any) -> float:
    """Points of one value under a points_for / points_between item's plain data."""
    if is_missing(value):
        return float(item["missing"])
    if item["type"] == "points_for":
        for key, pts in item["points"]:
            if value == key and isinstance(value, str) == isinstance(key, str):
                return float(pts)
        return float(item["default"])
    x = float(value)
    for low, high, pts in item["bands"]:
        if (low is None or x >= low) and (high is None or x < high):
            return float(pts)
    return float(item["default"])


def points_table(rows: Sequence[dict[str, Any]], table: dict[str, Any]) -> list[float]:
    """Attribute score of every row: items summed, then capped, then floored."""
    out = []
    for row in rows:
        total = sum(points_item(item, row[item["column"]]) for item in table["items"])
        if table["cap"] is not None:
            total = min(total, table["cap"])
        if table["floor"] is not None:
            total = max(total, table["floor"])
        out.append(total)
    return out


# --------------------------------------------------------------------------
# scoring rules (limits, step decay, window, groups, inactivity, floor, resets)


def _months_between(start: Any, end: Any) -> int:
    """Largest m with start + m calendar months (pandas DateOffset) <= end."""
    import pandas as pd

    m = (end.year - start.year) * 12 + (end.month - start.month)
    while m > 0 and start + pd.DateOffset(months=m) > end:
        m -= 1
    return max(m, 0)


def _periods(start: Any, end: Any, period: Any, datetimes: bool) -> int:
    if isinstance(period, str):
        months = int(period[:-1] or 1)
        return _months_between(start, end) // months
    age = (end - start).total_seconds() / 86_400 if datetimes else end - start
    return math.floor(age / period)


def _after(start: Any, k: int, period: Any, datetimes: bool) -> Any:
    import pandas as pd

    if isinstance(period, str):
        return start + pd.DateOffset(months=k * int(period[:-1] or 1))
    return start + (pd.Timedelta(days=k * period) if datetimes else k * period)


def _capped(sums: dict[str, float], model: dict[str, Any]) -> float:
    """Type caps, group caps, free types: the score of per-type sums (no total cap)."""
    caps = model.get("event_caps") or {}
    group_of = {t: g for g, members in (model.get("groups") or {}).items() for t in members}
    group_caps = model.get("group_caps") or {}
    total = 0.0
    per_group: dict[str, float] = {}
    for t, v in sums.items():
        v = min(v, caps[t]) if t in caps else v
        g = group_of.get(t)
        if g is not None and g in group_caps:
            per_group[g] = per_group.get(g, 0.0) + v
        else:
            total += v
    for g, v in per_group.items():
        total += min(v, group_caps[g])
    return total


def rule_score(
    events: Sequence[tuple[Any, str, Any, float]],
    model: dict[str, Any],
    as_of: Any,
    *,
    datetimes: bool = True,
) -> dict[Any, float]:
    """Score per contact of (contact, type, time, quantity) rows under a model's plain data.

    Every rule taken literally, one event and one inactivity step at a time.
    """
    points = model["points"]
    limits = model.get("limits") or {}
    resets = model.get("resets") or {}
    half_life, lifespan = model.get("half_life"), model.get("lifespan")
    step, window = model.get("step_decay"), model.get("window")
    inactivity, floor = model.get("inactivity"), model.get("floor")
    total_cap = model.get("cap")
    path = floor is not None or inactivity is not None or bool(resets)

    def age(t: Any, at: Any) -> float:
        return (at - t).total_seconds() / 86_400 if datetimes else at - t

    def factor(t: Any, at: Any) -> float:
        a = age(t, at)
        if window is not None and a > window:
            return 0.0
        if half_life is not None:
            return 0.5 ** (a / half_life)
        if lifespan is not None:
            return max(0.0, 1.0 - a / lifespan)
        if step is not None:
            return (1.0 - step[0]) ** _periods(t, at, step[1], datetimes)
        return 1.0

    def running_factor(t0: Any, t1: Any) -> float:
        return 0.5 ** (age(t0, t1) / half_life) if half_life is not None else 1.0

    by_contact: dict[Any, list[tuple[int, str, Any, float]]] = {}
    for i, (contact, event, t, q) in enumerate(events):
        if (age(t, as_of) if datetimes else as_of - t) >= 0:
            by_contact.setdefault(contact, []).append((i, event, t, q))

    def one(rows: list[tuple[int, str, Any, float]]) -> float:
        rows.sort(key=lambda r: (r[2], r[0]))
        used: dict[tuple[str, Any], float] = {}
        limited = []
        for _, event, t, q in rows:
            pts = points.get(event, 0.0)
            if event in limits:
                n, freq = limits[event]
                wall = t.tz_localize(None) if t.tzinfo is not None else t  # local calendar
                key = (event, None if freq is None else wall.to_period(freq))
                before = used.get(key, 0.0)
                scored = min(max(n - before, 0.0), q)
                used[key] = before + q
                limited.append(pts * scored)
            else:
                limited.append(pts * q)
        # the running score: per-type sums and adjustments, decayed to the latest moment
        entries: list[tuple[Any, float, str | None]] = []  # (time, amount, type or None)
        epoch_start = 0
        sums: dict[str, float] = {}
        adjust = 0.0
        last_t = None
        last_active = None

        def value_now() -> float:
            x = _capped(sums, model) + adjust
            return min(x, total_cap) if total_cap is not None else x

        def move_to(t: Any) -> None:
            nonlocal adjust, last_t
            if last_t is not None:
                f = running_factor(last_t, t)
                for k in sums:
                    sums[k] *= f
                adjust *= f
            last_t = t

        def apply_floor(t: Any) -> None:
            nonlocal adjust
            if floor is not None and value_now() < floor:
                lift = floor - value_now()
                adjust += lift
                entries.append((t, lift, None))

        def inactivity_until(t: Any, inclusive: bool = True) -> None:
            nonlocal adjust
            if inactivity is None or last_active is None:
                return
            k = 1
            while True:
                when = _after(last_active, k, inactivity[1], datetimes)
                if not (when <= t):
                    break
                move_to(when)
                adjust -= inactivity[0]
                entries.append((when, -inactivity[0], None))
                apply_floor(when)
                k += 1

        for (_, event, t, _q), pts in zip(rows, limited, strict=True):
            is_reset = event in resets
            if path and (pts != 0 or is_reset):
                inactivity_until(t)
            move_to(t)
            if is_reset:
                sums.clear()
                adjust = resets[event]
                epoch_start = len(entries)
                entries.append((t, resets[event], None))
                last_active = t
            else:
                sums[event] = sums.get(event, 0.0) + pts
                entries.append((t, pts, event))
                if pts != 0:
                    last_active = t
            if path:
                apply_floor(t)
        if path:
            inactivity_until(as_of)
        # the score at as_of from the live entries, each decayed on its own
        live_sums: dict[str, float] = {}
        adjustments = 0.0
        for t, amount, event in entries[epoch_start:]:
            worth = amount * (running_factor(t, as_of) if path else factor(t, as_of))
            if event is None:
                adjustments += worth
            else:
                live_sums[event] = live_sums.get(event, 0.0) + worth
        x = _capped(live_sums, model) + adjustments
        return min(x, total_cap) if total_cap is not None else x

    return {contact: one(rows) for contact, rows in by_contact.items()}
