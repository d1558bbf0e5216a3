"""What a research-graph slice shows: its centre, depth, node kinds, year
range, minimum tie strength and caps, read from a URL's parameters (never
raising on garbage) and written back to one (only what differs from the
defaults), with a short cache key.

Every value is clamped to its bounds on construction, however the parameters
were made (a URL, a task's message, a test), so no slice can be asked for
beyond the caps that keep its cost bounded."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

KINDS = ("researcher", "work", "topic", "institution")

DEPTH_BOUNDS = (1, 2)
YEAR_BOUNDS = (1900, 2100)
MIN_TIE_BOUNDS = (0.0, 10.0)
# Per node kind: (the URL parameter, the field, the bounds).
CAPS = (
    ("coauthors", "max_coauthors", (1, 50)),
    ("works", "max_works", (1, 50)),
    ("topics", "max_topics", (1, 30)),
    ("institutions", "max_institutions", (1, 30)),
)
# Moves whenever what a slice holds changes shape (its nodes, attributes or
# layout), so a deploy never serves slices cached by the code before it.
SLICE_SCHEMA = 1


def _clamp(value, bounds):
    low, high = bounds
    return min(max(value, low), high)


def _integer(raw: Any) -> int | None:
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        return None


def _number(raw: Any) -> float | None:
    try:
        value = float(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def kinds_normalized(kinds: Any) -> tuple[str, ...]:
    """``kinds`` (a tuple, a list or a comma list) as the known kinds it
    names, once each, in ``KINDS`` order; all of ``KINDS`` when it names
    none (a slice of the centre alone shows nothing worth a picture)."""
    if isinstance(kinds, str):
        kinds = kinds.split(",")
    try:
        named = {str(kind).strip().lower() for kind in kinds}
    except TypeError:
        named = set()
    chosen = tuple(kind for kind in KINDS if kind in named)
    return chosen or KINDS


@dataclass(frozen=True)
class SliceParams:
    centre_kind: str
    centre_key: str
    depth: int = 1
    kinds: tuple[str, ...] = KINDS
    year_min: int | None = None
    year_max: int | None = None
    min_tie: float = 0.0
    max_coauthors: int = 12
    max_works: int = 12
    max_topics: int = 8
    max_institutions: int = 8

    def __post_init__(self):
        if self.centre_kind not in KINDS:
            raise ValueError(f"unknown centre kind {self.centre_kind!r}")
        set_ = object.__setattr__
        set_(self, "centre_key", str(self.centre_key).strip())
        set_(self, "kinds", kinds_normalized(self.kinds))
        depth = _integer(self.depth)
        set_(self, "depth", _clamp(1 if depth is None else depth, DEPTH_BOUNDS))
        years = []
        for name in ("year_min", "year_max"):
            raw = getattr(self, name)
            year = None if raw is None else _integer(raw)
            years.append(None if year is None else _clamp(year, YEAR_BOUNDS))
        if None not in years and years[0] > years[1]:
            years.reverse()
        set_(self, "year_min", years[0])
        set_(self, "year_max", years[1])
        min_tie = _number(self.min_tie)
        min_tie = 0.0 if min_tie is None else _clamp(min_tie, MIN_TIE_BOUNDS)
        set_(self, "min_tie", round(float(min_tie), 4))
        defaults = {f.name: f.default for f in fields(self)}
        for _, name, bounds in CAPS:
            cap = _integer(getattr(self, name))
            set_(self, name, _clamp(defaults[name] if cap is None else cap, bounds))

    @classmethod
    def from_query(
        cls, centre_kind: str, centre_key: str, query: Mapping[str, str]
    ) -> SliceParams:
        """The parameters a URL's query asks for: ``depth``, ``kinds`` (a
        comma list, or the parameter repeated), ``year_min``, ``year_max``,
        ``min_tie``, ``coauthors``, ``works``, ``topics``, ``institutions``.
        Values out of bounds are clamped, garbage is ignored (the default
        stands); only an unknown ``centre_kind`` raises ``ValueError``."""

        def get(name: str) -> str | None:
            getlist = getattr(query, "getlist", None)
            if getlist is not None:
                values = [v for v in getlist(name) if str(v).strip()]
                return ",".join(values) if values else None
            value = query.get(name)
            return value if value is not None and str(value).strip() else None

        values: dict[str, Any] = {}
        depth = _integer(get("depth"))
        if depth is not None:
            values["depth"] = depth
        kinds = get("kinds")
        if kinds is not None:
            values["kinds"] = kinds_normalized(kinds)
        for name in ("year_min", "year_max"):
            year = _integer(get(name))
            if year is not None:
                values[name] = year
        min_tie = _number(get("min_tie"))
        if min_tie is not None:
            values["min_tie"] = min_tie
        for parameter, name, _ in CAPS:
            cap = _integer(get(parameter))
            if cap is not None:
                values[name] = cap
        return cls(centre_kind=centre_kind, centre_key=centre_key, **values)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SliceParams:
        """The parameters ``dataclasses.asdict`` wrote (a task's message),
        unknown keys ignored. Raises ``ValueError`` without a valid centre."""
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        try:
            return cls(**values)
        except TypeError as error:
            raise ValueError(f"not slice parameters: {error}") from error

    def to_query(self) -> dict[str, str]:
        """The URL parameters of what differs from the defaults (the centre is
        in the path), for a shareable address: ``from_query`` reads them back
        to equal parameters."""
        default = SliceParams(centre_kind=self.centre_kind, centre_key=self.centre_key)
        query: dict[str, str] = {}
        if self.depth != default.depth:
            query["depth"] = str(self.depth)
        if self.kinds != default.kinds:
            query["kinds"] = ",".join(self.kinds)
        for name in ("year_min", "year_max"):
            if getattr(self, name) is not None:
                query[name] = str(getattr(self, name))
        if self.min_tie != default.min_tie:
            query["min_tie"] = f"{self.min_tie:g}"
        for parameter, name, _ in CAPS:
            if getattr(self, name) != getattr(default, name):
                query[parameter] = str(getattr(self, name))
        return query

    def cache_key(self, version: int) -> str:
        """A short key for the slice these parameters give at data
        ``version``: the same for equal parameters in any process."""
        payload = json.dumps(
            {"schema": SLICE_SCHEMA, **asdict(self)}, sort_keys=True
        ).encode()
        digest = hashlib.sha256(payload).hexdigest()[:24]
        return f"graph:slice:{self.centre_kind}:v{int(version)}:{digest}"
