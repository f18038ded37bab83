"""Account rollups and handover rules (ABM scoring).

Lead generation hands a *lead* to sales when its score reaches a threshold;
ABM scores the *account*: the account score is the sum of its contacts'
scores, and the account is handed over when, for example, one contact
already has 100 or several contacts reach about 60. Rules are small frozen
objects composed with ``|`` (either), ``&`` (both) and ``~`` (not); each
says which clause fired.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from bbmkit._convert import factorize, forget_keys, positions, remember_keys, repeated
from bbmkit._exceptions import ValidationError, ValidationTypeError
from bbmkit._kernels import (
    gather_values,
    group_count,
    group_max,
    group_presence,
    group_sum,
    group_top_k_sum,
)
from bbmkit._validation import check_in_choices, check_int, check_number, fmt, real_to_float

__all__ = [
    "AllOf",
    "AnyContact",
    "AnyOf",
    "Contacts",
    "Not",
    "Rule",
    "RuleResult",
    "Total",
    "any_contact",
    "contacts",
    "first_handover",
    "handover",
    "rollup",
    "rule_from_dict",
    "total",
]

_MAX_LEAVES = 62  # reasons are bit sets in an int64
# rules nest at most this deep (| and & flatten, ~~ cancels): deeper is a malformed document,
# and evaluating it would recurse past Python's limit
MAX_RULE_DEPTH = 32


# --------------------------------------------------------------------------
# the boundary: contact scores and the contact -> account map


@attrs.frozen
class _Accounts:
    """Validated inputs as arrays: one entry per contact of the map."""

    codes: npt.NDArray[np.intp]  # account code per contact
    ids: pd.Index  # account id per code
    scores: npt.NDArray[np.float64]  # (weighted) score per contact, 0 if unscored
    scored: npt.NDArray[np.bool_]
    # group reductions shared by the rollup columns and the rule clauses
    _cache: dict[object, npt.NDArray[Any]] = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def n(self) -> int:
        return len(self.ids)

    def best(self) -> npt.NDArray[np.float64]:
        """Highest contact score per account (-inf for none)."""
        if "max" not in self._cache:
            self._cache["max"] = group_max(self.codes, self.scores, self.n)
        return self._cache["max"]

    def total(self) -> npt.NDArray[np.float64]:
        """Sum of contact scores per account."""
        if "total" not in self._cache:
            self._cache["total"] = group_sum(self.codes, self.scores, self.n)
        return self._cache["total"]

    def count_at_least(self, threshold: float) -> npt.NDArray[np.int64]:
        """Contacts per account whose score is ``>= threshold``."""
        key = ("count", threshold)
        if key not in self._cache:
            self._cache[key] = group_count(self.codes, self.n, self.scores >= threshold)
        return self._cache[key]


def _check_scores(scores: object) -> pd.Series:
    if not isinstance(scores, pd.Series):
        raise ValidationTypeError(
            f"scores must be a pandas Series indexed by contact id, got {type(scores).__name__}"
        )
    if not pd.api.types.is_numeric_dtype(scores.dtype) or pd.api.types.is_bool_dtype(scores.dtype):
        raise ValidationTypeError(f"scores must hold numbers, got dtype {scores.dtype}")
    values = (
        scores.to_numpy()
        if scores.dtype == np.float64  # a view: NaN is already the missing value
        else scores.to_numpy(dtype=np.float64, na_value=np.nan)
    )
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValidationError(
            f"scores has {int(bad.sum())} missing or infinite value(s) "
            f"(first at contact {fmt(scores.index[int(np.argmax(bad))])})"
        )
    _unique_index(scores.index, "scores")
    return scores


def _unique_index(index: pd.Index, name: str) -> None:
    twice = repeated(index)
    if twice is not None:
        dup = index[int(np.argmax(twice))]
        raise ValidationError(f"{name} has duplicated contact id {fmt(dup)}")


def _check_map(accounts: object) -> pd.Series:
    if not isinstance(accounts, pd.Series):
        raise ValidationTypeError(
            "accounts must be a pandas Series indexed by contact id with account ids as values, "
            f"got {type(accounts).__name__}"
        )
    dup_mask = repeated(accounts.index)
    if dup_mask is not None:
        first = accounts.index[dup_mask][0]
        targets = pd.unique(accounts[accounts.index == first].to_numpy())
        if len(targets) > 1:
            raise ValidationError(
                f"accounts maps contact {fmt(first)} to {len(targets)} accounts "
                f"({', '.join(fmt(t) for t in targets)}); a contact belongs to one account"
            )
        raise ValidationError(f"accounts lists contact {fmt(first)} more than once")
    missing = accounts.isna().to_numpy()
    if missing.any():
        raise ValidationError(
            f"accounts has {int(missing.sum())} contact(s) with no account id "
            f"(first: {fmt(accounts.index[int(np.argmax(missing))])})"
        )
    return accounts


def _role_weights(
    contact_ids: pd.Index, roles: object, role_weights: object
) -> npt.NDArray[np.float64] | None:
    if roles is None and role_weights is None:
        return None
    if roles is None or role_weights is None:
        raise ValidationError("roles and role_weights go together: give both or neither")
    if not isinstance(roles, pd.Series):
        raise ValidationTypeError(
            f"roles must be a pandas Series indexed by contact id, got {type(roles).__name__}"
        )
    if not isinstance(role_weights, Mapping) or not role_weights:
        raise ValidationTypeError(
            f"role_weights must be a non-empty mapping of role to weight, got {fmt(role_weights)}"
        )
    _unique_index(roles.index, "roles")
    weights = {
        role: check_number(w, name=f"role_weights[{role!r}]", low=0.0)
        for role, w in role_weights.items()
    }
    pos = positions(roles.index, contact_ids)
    if (pos < 0).any():
        raise ValidationError(
            f"roles has no role for contact {fmt(contact_ids[int(np.argmax(pos < 0))])}"
        )
    aligned = roles.iloc[pos]
    missing = aligned.isna().to_numpy()
    if missing.any():
        raise ValidationError(
            f"roles has a missing role for contact {fmt(contact_ids[int(np.argmax(missing))])}"
        )
    codes, found = factorize(aligned)
    unknown = [r for r in found if r not in weights]
    if unknown:
        raise ValidationError(
            f"roles has role(s) with no weight in role_weights: {', '.join(fmt(r) for r in unknown[:8])}"
        )
    per_role = np.array([weights[r] for r in found], dtype=np.float64)
    return per_role[codes]


_UNMAPPED: tuple[str, ...] = ("raise", "drop")
# where rollup, handover and first_handover report the contacts unmapped="drop" left out
DROPPED = "unmapped_contacts"


def _drop_unmapped(scores: Any, accounts: Any, unmapped: object) -> tuple[Any, Any, int]:
    """With ``unmapped="drop"``: scores and map without the contacts that have no account."""
    check_in_choices(unmapped, name="unmapped", choices=_UNMAPPED)
    if unmapped == "raise" or accounts is None:
        return scores, accounts, 0
    if not isinstance(accounts, pd.Series) or not isinstance(scores, pd.Series):
        return scores, accounts, 0  # the checks that follow say what is wrong
    dropped = 0
    no_account = accounts.isna().to_numpy()
    if no_account.any():
        dropped_ids = accounts.index[no_account]
        accounts = accounts[~no_account]
        # a contact of the map without an account, scored or not, is one dropped contact
        dropped += len(dropped_ids)
        scores = scores[~scores.index.isin(dropped_ids)]
    outside = ~scores.index.isin(accounts.index)
    if outside.any():
        dropped += int(outside.sum())
        scores = scores[~outside]
    return scores, accounts, dropped


def _prepare(
    scores: object, accounts: object, roles: object = None, role_weights: object = None
) -> _Accounts:
    if isinstance(scores, pd.Series) and isinstance(accounts, pd.Series):
        # string ids: read both indexes once for the duplicate checks and the matching
        remember_keys(scores.index, accounts.index)
    try:
        return _prepare_arrays(scores, accounts, roles, role_weights)
    finally:
        forget_keys()


def _prepare_arrays(
    scores: object, accounts: object, roles: object, role_weights: object
) -> _Accounts:
    checked = _check_scores(scores)
    values = checked.to_numpy(dtype=np.float64)
    if accounts is None:  # lead level: every contact is its own unit
        codes, ids = factorize(pd.Series(checked.index))
        contact_ids = checked.index
        ids = ids.rename(checked.index.name)
        contact_scores = values
        scored = np.ones(len(values), dtype=bool)
    else:
        mapping = _check_map(accounts)
        contact_ids = mapping.index
        codes, ids = factorize(mapping)
        ids = ids.rename(mapping.name)
        pos = positions(checked.index, contact_ids)
        scored = pos >= 0
        n_scored = int(np.count_nonzero(scored))
        all_scored = n_scored == len(pos)
        if n_scored != len(checked):  # both indexes are unique
            outside = ~checked.index.isin(contact_ids)
            raise ValidationError(
                f"scores has {int(outside.sum())} contact(s) that accounts does not map to an "
                f"account (first: {fmt(checked.index[int(np.argmax(outside))])})"
            )
        if len(values):
            # negative positions wrap in take; those rows are zeroed just after
            contact_scores = gather_values(values, pos)
            if not all_scored:
                np.copyto(contact_scores, 0.0, where=~scored)
        else:
            contact_scores = np.zeros(len(pos))
    weights = _role_weights(contact_ids, roles, role_weights)
    if weights is not None:
        contact_scores = contact_scores * weights
    return _Accounts(codes=codes, ids=ids, scores=contact_scores, scored=scored)


def rollup(
    scores: pd.Series,
    accounts: pd.Series | None,
    *,
    top_k: int | None = 3,
    roles: pd.Series | None = None,
    role_weights: Mapping[Any, float] | None = None,
    unmapped: Literal["raise", "drop"] = "raise",
) -> pd.DataFrame:
    """Roll contact scores up to accounts: the ABM account score and friends.

    Parameters
    ----------
    scores : pandas.Series
        Score per contact, indexed by contact id (e.g.
        :meth:`ScoringModel.score`).
    accounts : pandas.Series or None
        Account id per contact, indexed by contact id. Contacts without a
        score count as 0; a scored contact missing from the map, a contact
        listed twice, or a missing account id is an error. ``None`` treats
        every scored contact as its own account (lead-level).
    top_k : int or None, default 3
        How many of the highest contact scores ``top{k}_total`` adds up;
        ``None`` leaves that column out (it is the costliest one: ``k``
        passes over the contacts).
    roles, role_weights : optional
        Role per contact (Series indexed by contact id) and a weight per role:
        each contact's score is multiplied by its role's weight before the
        rollup (a decision maker counts more than an intern).
    unmapped : {"raise", "drop"}, default "raise"
        What to do with contacts that have no account: a contact of
        ``accounts`` whose account id is missing, or a scored contact that
        ``accounts`` does not list (CRM contacts not yet linked to a
        company). ``"raise"`` is an error naming the first; ``"drop"``
        leaves them out and reports how many in the result's
        ``attrs["unmapped_contacts"]``.

    Returns
    -------
    pandas.DataFrame
        Indexed by account id (sorted): ``n_contacts``, ``n_scored``,
        ``total`` (the account score, the sum), ``max``, ``mean``
        (total / n_contacts) and ``top{k}_total`` (unless ``top_k=None``). Accounts with no contacts
        cannot appear. ``attrs["unmapped_contacts"]`` counts the contacts
        ``unmapped="drop"`` left out (0 otherwise).

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import rollup
    >>> scores = pd.Series({"c1": 100.0, "c2": 40.0, "c3": 60.0})
    >>> accounts = pd.Series({"c1": "A", "c2": "A", "c3": "B", "c4": "B"}, name="account_id")
    >>> rollup(scores, accounts, top_k=1)
                n_contacts  n_scored  total    max  mean  top1_total
    account_id
    A                    2         2  140.0  100.0  70.0       100.0
    B                    2         1   60.0   60.0  30.0        60.0
    """
    k = _check_top_k(top_k)
    scores, accounts, dropped = _drop_unmapped(scores, accounts, unmapped)
    data = _prepare(scores, accounts, roles, role_weights)
    frame = _rollup_frame(data, k)
    frame.attrs[DROPPED] = dropped
    return frame


def _check_top_k(top_k: object) -> int | None:
    return None if top_k is None else check_int(top_k, name="top_k", low=1)


def _n_scored(data: _Accounts, n_contacts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Scored contacts per account, by counting whichever of scored/unscored is rarer."""
    unscored = ~data.scored
    if 2 * int(np.count_nonzero(unscored)) > unscored.size:
        return group_count(data.codes, data.n, data.scored)
    return n_contacts - group_count(data.codes, data.n, unscored)


def _rollup_frame(data: _Accounts, k: int | None) -> pd.DataFrame:
    n_contacts = group_count(data.codes, data.n)
    total_ = data.total()
    best = data.best()
    columns: dict[str, npt.NDArray[Any]] = {
        "n_contacts": n_contacts,
        "n_scored": _n_scored(data, n_contacts),
        "total": total_,
        "max": best,
        "mean": total_ / n_contacts,
    }
    if k is not None:
        # no account has more contacts than the largest: the same sums at a cost independent of k
        k_used = max(1, min(k, int(n_contacts.max(initial=0))))
        columns[f"top{k}_total"] = group_top_k_sum(
            data.codes, data.scores, data.n, k_used, best=best
        )
    return pd.DataFrame(columns, index=data.ids)


# --------------------------------------------------------------------------
# rules


@attrs.frozen
class _Evaluation:
    fired: npt.NDArray[np.bool_]
    reasons: npt.NDArray[np.int64]  # bit set of the clauses that explain a firing


class Rule:
    """Base class of handover rules; compose with ``|``, ``&`` and ``~``.

    Build leaves with :func:`any_contact`, :func:`contacts` and
    :func:`total`.

    Examples
    --------
    >>> from bbmkit import any_contact, contacts
    >>> rule = any_contact(at_least=100) | contacts(at_least=60, count=3)
    >>> rule
    any_contact(at_least=100) | contacts(at_least=60, count=3)
    >>> rule.clauses()
    ['any contact >= 100', '3 contacts >= 60']
    """

    kind: ClassVar[str] = ""

    def __or__(self, other: Rule) -> AnyOf:
        _check_rule(other, "|")
        return AnyOf((*_parts(self, AnyOf), *_parts(other, AnyOf)))

    def __and__(self, other: Rule) -> AllOf:
        _check_rule(other, "&")
        return AllOf((*_parts(self, AllOf), *_parts(other, AllOf)))

    def __invert__(self) -> Rule:
        return self.rule if isinstance(self, Not) else Not(self)

    def _depth(self) -> int:
        """Levels of nesting: 1 for a clause."""
        children = getattr(self, "rules", None) or [getattr(self, "rule", None)]
        return 1 + max((c._depth() for c in children if c is not None), default=0)

    def leaves(self) -> list[Rule]:
        """Clauses that can be named as a reason, in order of appearance.

        Examples
        --------
        >>> from bbmkit import total
        >>> total(at_least=200).leaves()
        [total(at_least=200)]
        """
        return [self]

    def clauses(self) -> list[str]:
        """Descriptions of :meth:`leaves`, as they appear in ``reason``.

        Examples
        --------
        >>> from bbmkit import total
        >>> (~total(at_least=200)).clauses()
        ['not total >= 200']
        """
        return [leaf.describe() for leaf in self.leaves()]

    def describe(self) -> str:
        """Human-readable text of the rule.

        Examples
        --------
        >>> from bbmkit import contacts
        >>> contacts(at_least=60, count=3).describe()
        '3 contacts >= 60'
        """
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The rule as JSON-ready plain data; :func:`rule_from_dict` reads it back.

        Examples
        --------
        >>> from bbmkit import any_contact, contacts
        >>> (any_contact(at_least=100) | contacts(at_least=60, count=3)).to_dict()
        {'kind': 'any_of', 'rules': [{'kind': 'any_contact', 'at_least': 100.0}, {'kind': 'contacts', 'at_least': 60.0, 'count': 3}]}
        """
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rule:
        """Same as :func:`rule_from_dict`.

        Examples
        --------
        >>> from bbmkit import Rule
        >>> Rule.from_dict({"kind": "total", "at_least": 200})
        total(at_least=200)
        """
        return rule_from_dict(data)

    def evaluate(self, scores: Mapping[Any, float] | Iterable[float]) -> RuleResult:
        """Whether the rule fires for one account, and why: the real-time path.

        :func:`handover` of a single account builds frames for a few
        numbers; this reads them as plain Python data (microseconds) and
        gives the same answer as :func:`handover` on that account.

        Parameters
        ----------
        scores : mapping of contact id to score, or iterable of scores
            The (already role-weighted, if wanted) scores of the account's
            contacts; an empty collection is an account without contacts.

        Returns
        -------
        RuleResult
            ``fired`` and ``reason`` (the clauses that fired, joined by
            ``"; "``, ``""`` when the rule did not fire), with the
            account's ``best`` and ``total`` score.

        Raises
        ------
        ValidationError
            A score that is missing, infinite or not a number; a rule of
            more clauses than are supported.

        See Also
        --------
        handover : The same decision for every account of a table.

        Examples
        --------
        >>> from bbmkit import any_contact, contacts
        >>> rule = any_contact(at_least=100) | contacts(at_least=60, count=3)
        >>> rule.evaluate({"c2": 60, "c3": 65, "c4": 90})
        RuleResult(fired=True, reason='3 contacts >= 60', best=90.0, total=215.0)
        >>> rule.evaluate([40, 70]).fired
        False
        """
        values = _account_scores(scores)
        leaves = _checked_leaves(self)
        bits = {id(leaf): i for i, leaf in enumerate(leaves)}
        total = 0.0
        for v in values:  # in order, as the table path sums
            total += v
        best = max(values, default=-math.inf)
        fired, reasons = self._evaluate_one(values, best, total, bits)
        reason = "; ".join(leaf.describe() for i, leaf in enumerate(leaves) if reasons >> i & 1)
        return RuleResult(fired=fired, reason=reason, best=best, total=total)

    def _evaluate_one(
        self, values: list[float], best: float, total: float, bits: dict[int, int]
    ) -> tuple[bool, int]:
        fired = self._fires_one(values, best, total)
        bit = bits.get(id(self))
        return fired, (1 << bit if fired and bit is not None else 0)

    def _fires_one(self, values: list[float], best: float, total: float) -> bool:
        raise NotImplementedError

    def _evaluate(self, data: _Accounts, bits: dict[int, int]) -> _Evaluation:
        # a clause: fires or not, and names itself as the reason when it does
        fired = self._fires(data)
        return _Evaluation(fired, np.where(fired, _leaf_bit(self, bits, data.n), 0))

    def _fires(self, data: _Accounts) -> npt.NDArray[np.bool_]:
        raise NotImplementedError


def _parts(rule: Rule, kind: type[AnyOf] | type[AllOf]) -> tuple[Rule, ...]:
    return rule.rules if isinstance(rule, kind) else (rule,)


def _check_rule(other: object, op: str) -> None:
    if not isinstance(other, Rule):
        raise ValidationTypeError(f"rules combine with {op} only with rules, got {fmt(other)}")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def _validate_threshold(_: Rule, attribute: attrs.Attribute[Any], value: object) -> None:
    check_number(value, name=attribute.name)


def _leaf_bit(rule: Rule, bits: dict[int, int], n: int) -> npt.NDArray[np.int64]:
    # clauses inside a negation are not reasons of their own: they have no bit
    bit = bits.get(id(rule))
    return np.full(n, 0 if bit is None else 1 << bit, dtype=np.int64)


@attrs.frozen(repr=False)
class AnyContact(Rule):
    """Some contact of the account has a score ``>= at_least``. See :func:`any_contact`.

    Examples
    --------
    >>> from bbmkit import AnyContact
    >>> AnyContact(100).describe()
    'any contact >= 100'
    """

    kind: ClassVar[str] = "any_contact"
    at_least: float = attrs.field(converter=real_to_float, validator=_validate_threshold)

    def describe(self) -> str:
        return f"any contact >= {_num(self.at_least)}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "at_least": self.at_least}

    def __repr__(self) -> str:
        return f"any_contact(at_least={_num(self.at_least)})"

    def _fires_one(self, values: list[float], best: float, total: float) -> bool:
        return best >= self.at_least

    def _fires(self, data: _Accounts) -> npt.NDArray[np.bool_]:
        # some contact reaches the threshold exactly when the best one does
        fired: npt.NDArray[np.bool_] = data.best() >= self.at_least
        return fired


def _validate_count(_: Rule, attribute: attrs.Attribute[Any], value: object) -> None:
    check_int(value, name=attribute.name, low=1)


@attrs.frozen(repr=False)
class Contacts(Rule):
    """At least ``count`` contacts score ``>= at_least``. See :func:`contacts`.

    Examples
    --------
    >>> from bbmkit import Contacts
    >>> Contacts(60, 3).describe()
    '3 contacts >= 60'
    """

    kind: ClassVar[str] = "contacts"
    at_least: float = attrs.field(converter=real_to_float, validator=_validate_threshold)
    count: int = attrs.field(validator=_validate_count)

    def describe(self) -> str:
        noun = "contact" if self.count == 1 else "contacts"
        return f"{self.count} {noun} >= {_num(self.at_least)}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "at_least": self.at_least, "count": self.count}

    def __repr__(self) -> str:
        return f"contacts(at_least={_num(self.at_least)}, count={self.count})"

    def _fires_one(self, values: list[float], best: float, total: float) -> bool:
        return sum(v >= self.at_least for v in values) >= self.count

    def _fires(self, data: _Accounts) -> npt.NDArray[np.bool_]:
        fired: npt.NDArray[np.bool_] = data.count_at_least(self.at_least) >= self.count
        return fired


@attrs.frozen(repr=False)
class Total(Rule):
    """The account score (sum of contact scores) is ``>= at_least``. See :func:`total`.

    Examples
    --------
    >>> from bbmkit import Total
    >>> Total(200).describe()
    'total >= 200'
    """

    kind: ClassVar[str] = "total"
    at_least: float = attrs.field(converter=real_to_float, validator=_validate_threshold)

    def describe(self) -> str:
        return f"total >= {_num(self.at_least)}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "at_least": self.at_least}

    def __repr__(self) -> str:
        return f"total(at_least={_num(self.at_least)})"

    def _fires_one(self, values: list[float], best: float, total: float) -> bool:
        return total >= self.at_least

    def _fires(self, data: _Accounts) -> npt.NDArray[np.bool_]:
        fired: npt.NDArray[np.bool_] = data.total() >= self.at_least
        return fired


def _validate_children(_: Rule, __: attrs.Attribute[Any], rules: object) -> None:
    if not isinstance(rules, tuple) or len(rules) < 2:
        raise ValidationError(
            f"a composite rule needs at least two rules, got {fmt(rules)}", parameter="rules"
        )
    for rule in rules:
        _check_rule(rule, "| or &")
    _check_depth(1 + max(rule._depth() for rule in rules))
    n_leaves = sum(len(rule.leaves()) for rule in rules)
    if n_leaves > _MAX_LEAVES:  # refused here, not at every later handover
        raise ValidationError(f"rule has {n_leaves} clauses; at most {_MAX_LEAVES} are supported")


def _check_depth(depth: int) -> None:
    if depth > MAX_RULE_DEPTH:
        raise ValidationError(
            f"rule is nested {depth} levels deep; at most {MAX_RULE_DEPTH} are supported"
        )


def _to_tuple(rules: object) -> object:
    return tuple(rules) if isinstance(rules, list | tuple) else rules


@attrs.frozen(repr=False)
class AnyOf(Rule):
    """Fires when any of its rules fires; the reason names those that did.

    Examples
    --------
    >>> from bbmkit import AnyOf, any_contact, total
    >>> isinstance(any_contact(at_least=100) | total(at_least=300), AnyOf)
    True
    """

    kind: ClassVar[str] = "any_of"
    rules: tuple[Rule, ...] = attrs.field(converter=_to_tuple, validator=_validate_children)

    def leaves(self) -> list[Rule]:
        return [leaf for rule in self.rules for leaf in rule.leaves()]

    def describe(self) -> str:
        return " or ".join(_wrap(r, AllOf) for r in self.rules)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rules": [r.to_dict() for r in self.rules]}

    def __repr__(self) -> str:
        return " | ".join(_wrap_repr(r, AllOf) for r in self.rules)

    def _evaluate_one(
        self, values: list[float], best: float, total: float, bits: dict[int, int]
    ) -> tuple[bool, int]:
        fired, reasons = False, 0
        for rule in self.rules:
            f, r = rule._evaluate_one(values, best, total, bits)
            fired, reasons = fired or f, reasons | r
        return fired, reasons

    def _evaluate(self, data: _Accounts, bits: dict[int, int]) -> _Evaluation:
        fired = np.zeros(data.n, dtype=bool)
        reasons = np.zeros(data.n, dtype=np.int64)
        for rule in self.rules:
            part = rule._evaluate(data, bits)
            fired |= part.fired
            reasons |= part.reasons
        return _Evaluation(fired, reasons)


@attrs.frozen(repr=False)
class AllOf(Rule):
    """Fires when all of its rules fire; the reason names all of them.

    Examples
    --------
    >>> from bbmkit import AllOf, contacts, total
    >>> isinstance(contacts(at_least=60, count=2) & total(at_least=200), AllOf)
    True
    """

    kind: ClassVar[str] = "all_of"
    rules: tuple[Rule, ...] = attrs.field(converter=_to_tuple, validator=_validate_children)

    def leaves(self) -> list[Rule]:
        return [leaf for rule in self.rules for leaf in rule.leaves()]

    def describe(self) -> str:
        return " and ".join(_wrap(r, AnyOf) for r in self.rules)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rules": [r.to_dict() for r in self.rules]}

    def __repr__(self) -> str:
        return " & ".join(_wrap_repr(r, AnyOf) for r in self.rules)

    def _evaluate_one(
        self, values: list[float], best: float, total: float, bits: dict[int, int]
    ) -> tuple[bool, int]:
        fired, reasons = True, 0
        for rule in self.rules:
            f, r = rule._evaluate_one(values, best, total, bits)
            fired, reasons = fired and f, reasons | r
        return fired, (reasons if fired else 0)

    def _evaluate(self, data: _Accounts, bits: dict[int, int]) -> _Evaluation:
        fired = np.ones(data.n, dtype=bool)
        reasons = np.zeros(data.n, dtype=np.int64)
        for rule in self.rules:
            part = rule._evaluate(data, bits)
            fired &= part.fired
            reasons |= part.reasons
        return _Evaluation(fired, np.where(fired, reasons, 0))


def _validate_negated(_: Rule, __: attrs.Attribute[Any], rule: object) -> None:
    _check_rule(rule, "~")
    _check_depth(1 + rule._depth())  # type: ignore[attr-defined]


@attrs.frozen(repr=False)
class Not(Rule):
    """Fires when its rule does not; build it with ``~rule``.

    Examples
    --------
    >>> from bbmkit import Not, total
    >>> isinstance(~total(at_least=1000), Not)
    True
    """

    kind: ClassVar[str] = "not"
    rule: Rule = attrs.field(validator=_validate_negated)

    def describe(self) -> str:
        inner = self.rule.describe()
        return f"not {inner}" if not isinstance(self.rule, AnyOf | AllOf) else f"not ({inner})"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule": self.rule.to_dict()}

    def __repr__(self) -> str:
        inner = repr(self.rule)
        return f"~{inner}" if not isinstance(self.rule, AnyOf | AllOf) else f"~({inner})"

    def _fires_one(self, values: list[float], best: float, total: float) -> bool:
        return not self.rule._evaluate_one(values, best, total, {})[0]

    def _fires(self, data: _Accounts) -> npt.NDArray[np.bool_]:
        return ~self.rule._evaluate(data, {}).fired


def _wrap(rule: Rule, other: type[Rule]) -> str:
    return f"({rule.describe()})" if isinstance(rule, other) else rule.describe()


def _wrap_repr(rule: Rule, other: type[Rule]) -> str:
    return f"({rule!r})" if isinstance(rule, other) else repr(rule)


def any_contact(*, at_least: float = 100.0) -> AnyContact:
    """Rule: some contact of the account has a score ``>= at_least``.

    With ``handover(scores, None, any_contact(at_least=100))`` it is the
    lead-generation routing rule "hand a lead over at 100".

    Examples
    --------
    >>> from bbmkit import any_contact
    >>> any_contact(at_least=100)
    any_contact(at_least=100)
    """
    return AnyContact(at_least)


def contacts(*, at_least: float = 60.0, count: int = 3) -> Contacts:
    """Rule: at least ``count`` contacts of the account score ``>= at_least``.

    Examples
    --------
    >>> from bbmkit import contacts
    >>> contacts(at_least=60, count=3).describe()
    '3 contacts >= 60'
    """
    return Contacts(at_least, count)


def total(*, at_least: float) -> Total:
    """Rule: the account score, the sum of its contacts' scores, is ``>= at_least``.

    Examples
    --------
    >>> from bbmkit import total
    >>> total(at_least=200).describe()
    'total >= 200'
    """
    return Total(at_least)


_LEAF_FIELDS: dict[str, tuple[type[Rule], tuple[str, ...]]] = {
    "any_contact": (AnyContact, ("at_least",)),
    "contacts": (Contacts, ("at_least", "count")),
    "total": (Total, ("at_least",)),
}


def rule_from_dict(data: Mapping[str, Any]) -> Rule:
    """Build a rule from :meth:`Rule.to_dict`'s plain data, validating it.

    Unknown kinds, unknown or missing fields, bad values and rules nested
    more than 32 levels deep are a :class:`~bbmkit.ValidationError` naming
    the field. A double negation cancels, as ``~~rule`` does.

    Examples
    --------
    >>> from bbmkit import rule_from_dict
    >>> rule_from_dict({"kind": "any_of", "rules": [
    ...     {"kind": "any_contact", "at_least": 100},
    ...     {"kind": "contacts", "at_least": 60, "count": 3}]})
    any_contact(at_least=100) | contacts(at_least=60, count=3)
    """
    return _rule_from_dict(data, "rule", 1)


def _rule_from_dict(data: object, _where: str, depth: int) -> Rule:
    if not isinstance(data, Mapping):
        raise ValidationTypeError(f"{_where} must be a mapping, got {fmt(data)}")
    _check_depth(depth)
    kinds = [*_LEAF_FIELDS, "any_of", "all_of", "not"]
    if "kind" not in data:
        raise ValidationError(
            f"{_where} has no field 'kind' (one of {', '.join(map(repr, kinds))})"
        )
    kind = data["kind"]
    if not isinstance(kind, str) or kind not in kinds:
        raise ValidationError(
            f"{_where} field 'kind' must be one of {', '.join(map(repr, kinds))}, got {fmt(kind)}"
        )
    if kind in _LEAF_FIELDS:
        cls, fields = _LEAF_FIELDS[kind]
    else:
        fields = ("rule",) if kind == "not" else ("rules",)
    allowed = {"kind", *fields}
    unknown = sorted(map(str, set(data) - allowed))
    if unknown:
        raise ValidationError(
            f"{_where} has unknown field(s) {', '.join(map(repr, unknown))} (allowed: {', '.join(sorted(allowed))})"
        )
    missing = [f for f in fields if f not in data]
    if missing:
        raise ValidationError(f"{_where} is missing field(s) {', '.join(map(repr, missing))}")
    if kind in _LEAF_FIELDS:
        return cls(*(data[f] for f in fields))
    if kind == "not":
        return ~_rule_from_dict(data["rule"], f"{_where}.rule", depth + 1)
    children = data["rules"]
    if not isinstance(children, list | tuple):
        raise ValidationTypeError(f"{_where} field 'rules' must be a list, got {fmt(children)}")
    built = [_rule_from_dict(c, f"{_where}.rules[{i}]", depth + 1) for i, c in enumerate(children)]
    return AnyOf(tuple(built)) if kind == "any_of" else AllOf(tuple(built))


# --------------------------------------------------------------------------
# handover


@attrs.frozen
class _Handover:
    fired: npt.NDArray[np.bool_]
    texts: npt.NDArray[np.object_]  # distinct reason texts
    which: npt.NDArray[np.intp]  # each account's index into texts

    def reasons(self) -> npt.NDArray[np.object_]:
        return self.texts[self.which]

    def reason_column(self) -> Any:
        """The reasons as a pandas string array: the few distinct texts converted once, then taken."""
        return pd.array(self.texts.tolist(), dtype=_STR).take(self.which)


_STR = pd.Series([""]).dtype  # the default string dtype of the installed pandas


def _checked_leaves(rule: object) -> list[Rule]:
    if not isinstance(rule, Rule):
        raise ValidationTypeError(
            f"rule must be a Rule (any_contact, contacts, total, ...), got {fmt(rule)}"
        )
    leaves = rule.leaves()
    if len(leaves) > _MAX_LEAVES:
        raise ValidationError(
            f"rule has {len(leaves)} clauses; at most {_MAX_LEAVES} are supported"
        )
    return leaves


@attrs.frozen
class RuleResult:
    """One account's handover decision from :meth:`Rule.evaluate`.

    Attributes
    ----------
    fired : bool
        Whether the rule fired.
    reason : str
        The clauses that fired, joined by ``"; "`` (``""`` when it did not).
    best : float
        The highest contact score (``-inf`` for an account without contacts).
    total : float
        The account score, the sum of its contacts' scores.

    Examples
    --------
    >>> from bbmkit import total
    >>> total(at_least=200).evaluate([150, 60]).reason
    'total >= 200'
    """

    fired: bool
    reason: str
    best: float
    total: float


def _account_scores(scores: object) -> list[float]:
    """One account's contact scores as finite floats, in order."""
    if isinstance(scores, Mapping):
        items: Iterable[tuple[Any, Any]] = scores.items()
    elif isinstance(scores, str | bytes | pd.DataFrame) or not isinstance(scores, Iterable):
        raise ValidationTypeError(
            f"scores must be a mapping of contact id to score or a list of scores, got {fmt(scores)}"
        )
    else:
        items = enumerate(scores)
    values: list[float] = []
    for key, v in items:
        if type(v) is not float:
            if v is None or v is pd.NA:
                raise ValidationError(f"scores[{fmt(key)}] is missing")
            if isinstance(v, bool | np.bool_) or not isinstance(v, numbers.Real):
                raise ValidationTypeError(f"scores[{fmt(key)}] must be a number, got {fmt(v)}")
            v = float(v)
        if not math.isfinite(v):
            raise ValidationError(f"scores[{fmt(key)}] must be a finite score, got {fmt(v)}")
        values.append(v)
    return values


def _evaluate(rule: Rule, data: _Accounts) -> _Handover:
    leaves = _checked_leaves(rule)
    bits = {id(leaf): i for i, leaf in enumerate(leaves)}
    result = rule._evaluate(data, bits)
    # few distinct reason sets: build each text once, then look it up per account
    sets, inverse = _distinct(result.reasons, len(leaves))
    texts = np.array(
        [
            "; ".join(leaf.describe() for i, leaf in enumerate(leaves) if s >> i & 1)
            for s in sets.tolist()
        ],
        dtype=object,
    )
    return _Handover(result.fired, texts, inverse.ravel())


def _distinct(
    reasons: npt.NDArray[np.int64], n_leaves: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.intp]]:
    """Sorted distinct reason sets and each account's index into them (``np.unique``)."""
    if n_leaves > 16:  # too many possible sets for a table: sort
        sets, inverse = np.unique(reasons, return_inverse=True)
        return sets, inverse.ravel()
    present = group_presence(reasons, 1 << n_leaves)
    rank = np.cumsum(present) - 1
    return np.flatnonzero(present).astype(np.int64), rank[reasons]


def handover(
    scores: pd.Series,
    accounts: pd.Series | None,
    rule: Rule,
    *,
    top_k: int | None = 3,
    roles: pd.Series | None = None,
    role_weights: Mapping[Any, float] | None = None,
    unmapped: Literal["raise", "drop"] = "raise",
) -> pd.DataFrame:
    """Which accounts (or leads) go to sales, and why.

    Parameters
    ----------
    scores, accounts, top_k, roles, role_weights, unmapped
        As for :func:`rollup`; ``accounts=None`` evaluates every lead on its
        own (lead-generation routing).
    rule : Rule
        E.g. ``any_contact(at_least=100) | contacts(at_least=60, count=3)``.

    Returns
    -------
    pandas.DataFrame
        :func:`rollup`'s frame plus ``handover`` (bool) and ``reason``: the
        clauses that fired, joined by ``"; "`` (``""`` when none did);
        ``attrs["unmapped_contacts"]`` as for :func:`rollup`.

    Examples
    --------
    A common ABM handover rule: one contact at 100, or three at 60.

    >>> import pandas as pd
    >>> from bbmkit import any_contact, contacts, handover
    >>> scores = pd.Series({"c1": 100, "c2": 60, "c3": 60, "c4": 60, "c5": 60, "c6": 60})
    >>> accounts = pd.Series({"c1": "A", "c2": "B", "c3": "B", "c4": "B", "c5": "C", "c6": "C"})
    >>> rule = any_contact(at_least=100) | contacts(at_least=60, count=3)
    >>> handover(scores, accounts, rule)[["total", "handover", "reason"]]
       total  handover              reason
    A  100.0      True  any contact >= 100
    B  180.0      True    3 contacts >= 60
    C  120.0     False
    """
    k = _check_top_k(top_k)
    scores, accounts, dropped = _drop_unmapped(scores, accounts, unmapped)
    data = _prepare(scores, accounts, roles, role_weights)
    frame = _rollup_frame(data, k)
    result = _evaluate(rule, data)
    frame["handover"] = result.fired
    frame["reason"] = result.reason_column()
    frame.attrs[DROPPED] = dropped
    return frame


def first_handover(
    history: pd.DataFrame,
    accounts: pd.Series | None,
    rule: Rule,
    *,
    roles: pd.Series | None = None,
    role_weights: Mapping[Any, float] | None = None,
    unmapped: Literal["raise", "drop"] = "raise",
) -> pd.DataFrame:
    """The first date at which each account (or lead) met a handover rule.

    Parameters
    ----------
    history : pandas.DataFrame
        Scores per contact (rows) at dates (columns, in time order), e.g.
        :meth:`ScoringModel.history`.
    accounts, rule, roles, role_weights, unmapped
        As for :func:`handover`.

    Returns
    -------
    pandas.DataFrame
        Indexed by account (or contact): ``first_handover`` (the first column
        label at which the rule fired, missing if never) and ``reason`` (the
        clauses that fired then); ``attrs["unmapped_contacts"]`` as for
        :func:`rollup`.

    Examples
    --------
    >>> import pandas as pd
    >>> from bbmkit import any_contact, first_handover
    >>> history = pd.DataFrame({"d1": [40.0, 0.0], "d2": [100.0, 20.0]}, index=["a", "b"])
    >>> first_handover(history, None, any_contact(at_least=100))
      first_handover              reason
    a             d2  any contact >= 100
    b            NaN
    """
    if not isinstance(history, pd.DataFrame):
        raise ValidationTypeError(
            f"history must be a pandas DataFrame, got {type(history).__name__}"
        )
    if history.shape[1] == 0:
        raise ValidationError("history has no dates (columns)")
    if not history.columns.is_unique:
        twice = history.columns[history.columns.duplicated()][0]
        raise ValidationError(
            f"history has date {fmt(twice)} more than once (columns); which scores hold then "
            "is ambiguous"
        )
    if not history.index.is_unique:
        twice = history.index[history.index.duplicated()][0]
        raise ValidationError(f"history lists contact {fmt(twice)} more than once (rows)")
    for column in history.columns:
        dtype = history[column].dtype
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            raise ValidationTypeError(
                f"history must hold scores (numbers); column {fmt(column)} has dtype {dtype}"
            )
        if not np.isfinite(history[column].to_numpy(dtype=np.float64, na_value=np.nan)).all():
            raise ValidationError(f"history has a missing or infinite score at {fmt(column)}")
    _, accounts, dropped = _drop_unmapped(history.iloc[:, 0], accounts, unmapped)
    if dropped:
        history = history.loc[history.index.isin(accounts.index)]
    index: pd.Index | None = None
    first = np.empty(0, dtype=np.intp)
    reason = np.empty(0, dtype=object)
    for j, column in enumerate(history.columns):  # a loop over dates, not rows
        data = _prepare(history[column].rename(None), accounts, roles, role_weights)
        result = _evaluate(rule, data)
        fired, texts = result.fired, result.reasons()
        if index is None:
            index = data.ids
            first = np.full(data.n, -1, dtype=np.intp)
            reason = np.full(data.n, "", dtype=object)
        new = fired & (first < 0)
        first[new] = j
        reason[new] = texts[new]
    assert index is not None
    labels = np.array([*history.columns, np.nan], dtype=object)
    out = pd.DataFrame({"first_handover": labels[first], "reason": reason}, index=index)
    out.attrs[DROPPED] = dropped
    return out
