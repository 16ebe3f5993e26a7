"""Parameters: dated, sourced values that may differ per jurisdiction and category.

A parameter file is YAML inside a domain's ``parameters/`` folder; each top-level key declares
one parameter::

    dibao_standard:
      label: {zh: 最低生活保障标准, en: minimum living guarantee standard}
      type: money                  # money (written in yuan, held in fen), int, float, bool,
                                   # or the name of a category type declared in rules.py
      unit: yuan/person/month
      by: [household_region]       # axes: variables whose value selects the cell
      source: LOCAL_DIBAO Beijing notice    # default citation for every value (may be per value)
      confidence: provisional               # default confidence (may be per value)
      values:
        "110000":                            # GB/T 2260 code; "national" is the last fallback
          - {from: 2023-07-01, value: "1395"}

An axis that is a region variable falls back county -> prefecture -> province -> national; a
category axis is keyed by the category's labels (``"*"`` for every other label). A ``scale``
parameter maps one variable through brackets::

    bj_age_points:
      type: scale
      input: bj_age              # the variable measured
      output: float
      closed: right              # (X, Y] brackets; default left: [X, Y)
      values:
        - {from: 2020-01-01, thresholds: [45, 46, 47, 48, 49], amounts: [20, 16, 12, 8, 4, 0]}

``thresholds`` are the bracket bounds in increasing order; ``amounts`` has one more entry than
``thresholds``: the value below the first bound, then the value from each bound on.
Parameters are compiled once per (date, reform) into dense numpy arrays indexed by integer
codes; evaluation gathers from them and never looks anything up per row in Python.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import yaml

from liudong import regions
from liudong.rules.citations import CONFIDENCE, Cite
from liudong.rules.errors import (
    CitationError,
    InputError,
    ParameterDateError,
    ParameterFileError,
    RulesError,
)
from liudong.rules.types import BOOL, DATE, FLOAT, INT, MONEY, REGION, Category, ValueType

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

__all__ = ["CompiledParameter", "Entry", "Parameter", "load_parameter_files"]

NATIONAL = "national"
ANY = "*"
SCALAR_TYPES: dict[str, ValueType] = {
    "money": MONEY,
    "int": INT,
    "float": FLOAT,
    "bool": BOOL,
    "date": DATE,
}


@dataclass(frozen=True)
class Entry:
    """One dated value of one cell: what the law says, from when, where it says so."""

    key: tuple[str, ...]
    start: dt.date
    end: dt.date | None
    value: Any  # a scalar of the parameter's type, or (thresholds, amounts) for a scale
    cite: Cite
    confidence: str
    note: str = ""
    reform: str | None = None

    def in_force(self, on: dt.date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)

    def as_dict(self, vtype: ValueType) -> dict[str, Any]:
        value: Any
        if isinstance(self.value, tuple):
            value = {"thresholds": list(self.value[0]), "amounts": list(self.value[1])}
        else:
            value = vtype.to_python(self.value)
        out = {
            "key": list(self.key),
            "from": self.start.isoformat(),
            "to": self.end.isoformat() if self.end else None,
            "value": value,
            "source": self.cite.as_dict(),
            "confidence": self.confidence,
        }
        if self.note:
            out["note"] = self.note
        if self.reform:
            out["reform"] = self.reform
        return out


@dataclass
class Parameter:
    """A declared parameter with every dated value of every cell."""

    name: str
    label: dict[str, str]
    vtype: ValueType
    unit: str
    axes: tuple[str, ...]
    entries: dict[tuple[str, ...], list[Entry]]
    file: str
    scale_input: str | None = None
    closed: str = "left"
    doc: str = ""
    axis_types: dict[str, ValueType] = field(default_factory=dict)

    @property
    def is_scale(self) -> bool:
        return self.scale_input is not None

    @property
    def reads(self) -> tuple[str, ...]:
        """The variables this parameter's lookup needs: its axes and the scale's input."""
        return self.axes + ((self.scale_input,) if self.scale_input else ())

    def all_entries(self) -> list[Entry]:
        return [e for entries in self.entries.values() for e in entries]

    def earliest(self) -> dt.date:
        return min(e.start for e in self.all_entries())

    def confidence(self) -> str:
        """The weakest confidence among the values (what a user must be told)."""
        marks = {e.confidence for e in self.all_entries()}
        return next(m for m in reversed(CONFIDENCE) if m in marks) if marks else "verified"


# ---------------------------------------------------------------- loading


def load_parameter_files(
    paths: Sequence[Path], types: Mapping[str, ValueType]
) -> dict[str, Parameter]:
    """Read every parameter file; ``types`` maps category names to their types."""
    params: dict[str, Parameter] = {}
    for path in paths:
        raw = yaml.safe_load(path.read_text("utf-8")) or {}
        if not isinstance(raw, dict):
            raise ParameterFileError(f"{path}: expected a mapping of parameter names")
        for name, spec in raw.items():
            if name in params:
                raise ParameterFileError(
                    f"{path}: parameter {name!r} is already declared in {params[name].file}"
                )
            params[name] = _parse_parameter(str(name), spec, path, types)
    return params


def _parse_parameter(name: str, spec: Any, path: Path, types: Mapping[str, ValueType]) -> Parameter:
    where = f"{path.name}: {name}"
    if not isinstance(spec, dict):
        raise ParameterFileError(f"{where}: expected a mapping with label, type, unit and values")
    if "csv" in spec:  # a table shared with other code, plus optional values written here
        spec = {
            **spec,
            "values": {**spec.get("values", {}), **_values_from_csv(spec["csv"], where)},
        }
    for required in ("label", "type", "unit", "values"):
        if required not in spec:
            raise ParameterFileError(f"{where}: missing {required!r} (see docs/rules.md)")
    label = spec["label"]
    if not isinstance(label, dict) or not {"zh", "en"} <= label.keys():
        raise ParameterFileError(f"{where}: label needs zh and en, e.g. {{zh: 标准, en: standard}}")
    is_scale = spec["type"] == "scale"
    vtype = _value_type(spec.get("output", "float") if is_scale else spec["type"], types, where)
    axes = tuple(spec.get("by", ()))
    param = Parameter(
        name=name,
        label={"zh": str(label["zh"]), "en": str(label["en"])},
        vtype=vtype,
        unit=str(spec["unit"]),
        axes=axes,
        entries={},
        file=str(path),
        scale_input=str(spec["input"]) if is_scale else None,
        closed=str(spec.get("closed", "left")),
        doc=str(spec.get("doc", "")),
    )
    if is_scale and "input" not in spec:
        raise ParameterFileError(f"{where}: a scale needs 'input', the variable it measures")
    if param.closed not in {"left", "right"}:
        raise ParameterFileError(f"{where}: closed must be left ([X, Y)) or right ((X, Y])")
    defaults = {"source": spec.get("source"), "confidence": spec.get("confidence")}
    for key, dated in _cells(spec["values"], len(axes), where):
        param.entries[key] = _parse_dated(dated, key, param, defaults, where)
    if not param.entries:
        raise ParameterFileError(f"{where}: no values")
    return param


def _values_from_csv(spec: Any, where: str) -> dict[str, list[dict[str, Any]]]:
    """Values kept in a vendored CSV table (one source of truth shared with other code).

    ``csv: {resource: liudong.regions/census2020.csv, key: code, value: urban_population,
    from: 2020-11-01, note: source, confidence: confidence, where: {basis: census}}``: one
    cell per row whose value is not empty (and whose columns match ``where``); ``note`` and
    ``confidence`` name columns of the table.
    """
    try:
        package, _, filename = str(spec["resource"]).partition("/")
        text = resources.files(package).joinpath(filename).read_text("utf-8")
        rows = list(csv.DictReader(io.StringIO(text)))
        values: dict[str, list[dict[str, Any]]] = {}
        only = spec.get("where", {})
        for row in rows:
            if not row.get(spec["value"]) or any(row.get(k) != v for k, v in only.items()):
                continue
            item: dict[str, Any] = {"from": spec["from"], "value": row[spec["value"]]}
            if "note" in spec:
                item["note"] = row[spec["note"]]
            if "confidence" in spec:
                item["confidence"] = row[spec["confidence"]]
            values[row[spec["key"]]] = [item]
    except (KeyError, ModuleNotFoundError, FileNotFoundError) as exc:
        raise ParameterFileError(f"{where}: cannot read csv values: {exc!r}") from None
    return values


def _value_type(name: str, types: Mapping[str, ValueType], where: str) -> ValueType:
    if name in SCALAR_TYPES:
        return SCALAR_TYPES[name]
    if name in types:
        return types[name]
    known = ", ".join([*SCALAR_TYPES, *types])
    raise ParameterFileError(f"{where}: unknown type {name!r}; use one of: {known}")


def _cells(values: Any, depth: int, where: str) -> list[tuple[tuple[str, ...], Any]]:
    """Flatten nested ``{axis value: {axis value: [dated...]}}`` into (key path, dated list)."""
    if depth == 0:
        return [((), values)]
    if not isinstance(values, dict):
        raise ParameterFileError(f"{where}: values must be nested {depth} level(s) deep by axis")
    cells = []
    for k, sub in values.items():
        for rest, dated in _cells(sub, depth - 1, where):
            cells.append(((_key(k), *rest), dated))
    return cells


def _key(k: Any) -> str:
    text = str(k)
    return text if not text.isdigit() or len(text) != 6 else str(int(text))


def _parse_dated(
    dated: Any, key: tuple[str, ...], param: Parameter, defaults: dict[str, Any], where: str
) -> list[Entry]:
    cell = f"{where}[{'/'.join(key)}]" if key else where
    if not isinstance(dated, list) or not dated:
        raise ParameterFileError(
            f"{cell}: expected a list of dated values, e.g. - {{from: 2024-01-01, value: ...}}"
        )
    out = []
    for i, item in enumerate(dated):
        at = f"{cell} value #{i + 1}"
        if not isinstance(item, dict) or "from" not in item:
            raise ParameterFileError(f"{at}: missing 'from' (the date the value takes effect)")
        start = _date(item["from"], at)
        end = _date(item["to"], at) if item.get("to") else None
        source = item.get("source", defaults["source"])
        if source is None:
            raise ParameterFileError(f"{at}: missing 'source' (document key and article)")
        try:
            cite = Cite.parse(source, where=at)
        except CitationError as exc:
            raise ParameterFileError(str(exc)) from None
        confidence = item.get("confidence", defaults["confidence"])
        if confidence not in CONFIDENCE:
            raise ParameterFileError(
                f"{at}: confidence must be one of {CONFIDENCE}, got {confidence!r}"
            )
        value = _parse_value(item, param, at)
        out.append(Entry(key, start, end, value, cite, str(confidence), str(item.get("note", ""))))
    out.sort(key=lambda e: e.start)
    return out


def _parse_value(item: dict[str, Any], param: Parameter, at: str) -> Any:
    try:
        if param.is_scale:
            thresholds = [float(t) for t in item["thresholds"]]
            amounts = [param.vtype.parse(a, where=at) for a in item["amounts"]]
            if len(amounts) != len(thresholds) + 1:
                raise ParameterFileError(f"{at}: a scale needs one more amount than thresholds")
            if thresholds != sorted(thresholds):
                raise ParameterFileError(f"{at}: thresholds must increase")
            return (tuple(thresholds), tuple(amounts))
        if "value" not in item:
            raise ParameterFileError(f"{at}: missing 'value'")
        return param.vtype.parse(item["value"], where=at)
    except (InputError, KeyError) as exc:
        raise ParameterFileError(f"{at}: {exc}") from None


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ParameterFileError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


# ---------------------------------------------------------------- compiling


@dataclass
class CompiledParameter:
    """A parameter resolved for one date (and reform) into dense arrays.

    ``cell`` has one dimension per axis (regions: compact region index; categories: code) and
    holds an index into ``entries`` (-1: no value in force). ``values`` holds the values (for a
    scale: ``thresholds`` and ``amounts`` padded per cell).
    """

    param: Parameter
    on: dt.date
    entries: list[Entry]
    cell: np.ndarray
    values: np.ndarray
    thresholds: np.ndarray | None = None
    region_axes: tuple[bool, ...] = ()
    complete: bool = True  # every cell has a value in force: no per-row check needed

    def indices(self, axis_values: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
        """Positions along each axis: compact region indices, or category codes."""
        return tuple(
            axis_positions(v, is_region)
            for v, is_region in zip(axis_values, self.region_axes, strict=True)
        )

    def gather(
        self, axis_values: Sequence[np.ndarray], scale_input: np.ndarray | None, n: int
    ) -> np.ndarray:
        """The value for each row, from the rows' axis values (and scale input)."""
        return self.gather_at(self.indices(axis_values), scale_input, n)

    def gather_at(
        self, idx: tuple[np.ndarray, ...], scale_input: np.ndarray | None, n: int
    ) -> np.ndarray:
        """The value for each row, from positions along the axes (see :meth:`indices`)."""
        if not self.complete:
            cells = self.cell[idx] if idx else np.full(n, self.cell)
            if (cells < 0).any():
                self._missing(idx, cells)
        if self.thresholds is None:
            return self.values[idx] if idx else np.full(n, self.values, dtype=self.values.dtype)
        if scale_input is None:
            raise RulesError(f"scale {self.param.name} needs its input {self.param.scale_input}")
        side: Literal["left", "right"] = "left" if self.param.closed == "right" else "right"
        if self.thresholds.shape[-1] == 0:  # no brackets: one amount for everyone
            return self.values[idx][..., 0] if idx else np.full(n, self.values.flat[0])
        if self.thresholds.ndim == 1 or _uniform(self.thresholds):
            thr = self.thresholds.reshape(-1, self.thresholds.shape[-1])[0]
            amounts = self.values.reshape(-1, self.values.shape[-1])[0]
            picked: np.ndarray = amounts[np.searchsorted(thr, scale_input, side=side)]
            return picked
        thr, amounts = self.thresholds[idx], self.values[idx]
        x = scale_input.astype(np.float64)[:, None]
        bracket = (x > thr).sum(axis=1) if side == "left" else (x >= thr).sum(axis=1)
        return np.take_along_axis(amounts, bracket[:, None], axis=1)[:, 0]

    def entry_for(self, axis_values: Sequence[np.ndarray]) -> Entry:
        """The entry that supplied the value of one row (for explanations)."""
        idx = self.indices([np.asarray(v)[:1] for v in axis_values])
        cell = int(self.cell[idx][0]) if idx else int(self.cell)
        return self.entries[cell]

    def _missing(self, idx: tuple[np.ndarray, ...], cells: np.ndarray) -> None:
        bad = np.flatnonzero(cells < 0)
        labels = [
            regions.code_index()[1][i] if is_region else i
            for i, is_region in zip(idx, self.region_axes, strict=True)
        ]
        examples = sorted({"/".join(str(v[i]) for v in labels) for i in bad[:1000]})[:5]
        where = f" for {', '.join(self.param.axes)} = {', '.join(examples)}" if examples else ""
        earliest = self.param.earliest().isoformat()
        raise ParameterDateError(
            f"parameter {self.param.name!r} has no value in force on {self.on.isoformat()}{where} "
            f"({len(bad)} rows). Its values start on {earliest} (file {self.param.file}); "
            f"evaluate at a later date or add a dated value for that jurisdiction."
        )


def axis_positions(values: np.ndarray, is_region: bool) -> np.ndarray:
    """Positions along a parameter axis: compact region indices, or the category codes."""
    return region_index(values) if is_region else np.asarray(values)


def region_index(codes: np.ndarray) -> np.ndarray:
    """Compact region indices of GB/T 2260 codes (unknown codes: their nearest ancestor)."""
    lut, _ = regions.code_index()
    codes = np.asarray(codes)
    if codes.size and (codes.min() < 0 or codes.max() >= len(lut)):
        codes = np.clip(codes, 0, len(lut) - 1)
    out: np.ndarray = lut[codes]
    return out


def _uniform(thresholds: np.ndarray) -> bool:
    flat = thresholds.reshape(-1, thresholds.shape[-1])
    return bool((flat == flat[0]).all())


def compile_parameter(
    param: Parameter, on: dt.date, overrides: Mapping[tuple[str, ...], Entry] | None = None
) -> CompiledParameter:
    """Resolve every cell of ``param`` in force on ``on`` (reform overrides win).

    Keys are applied from the least to the most specific (national, province, prefecture,
    county; ``*`` before a named category), each overwriting the cells it covers, so a cell
    takes the most specific key that has a value in force: vectorised over every region code.
    """
    overrides = overrides or {}
    labels = [_axis_labels(param, axis) for axis in param.axes]
    cell = np.full(tuple(len(k) for k in labels), -1, dtype=np.int32)
    entries: list[Entry] = []
    every = (ANY,) * len(param.axes)
    keys = sorted(
        set(param.entries) | set(overrides),
        key=lambda k: (k == every and k in overrides, _specificity(param, k), k),
    )
    for key in keys:  # a reform's "*" (every cell) comes last and covers everything
        entry = overrides.get(key) or next(
            (e for e in reversed(param.entries.get(key, ())) if e.in_force(on)), None
        )
        if entry is not None:
            cell[_cover(param, key, labels)] = len(entries)
            entries.append(entry)
    return _materialise(param, on, entries, cell)


def _specificity(param: Parameter, key: tuple[str, ...]) -> tuple[int, ...]:
    ranks = []
    for axis, label in zip(param.axes, key, strict=True):
        if label in (ANY, NATIONAL):
            ranks.append(0)
        elif param.axis_types[axis] is REGION:
            code = int(label)
            ranks.append(3 if code % 100 else 2 if code % 10000 else 1)
        else:
            ranks.append(1)
    return tuple(ranks)


def _cover(param: Parameter, key: tuple[str, ...], labels: list[np.ndarray]) -> tuple[Any, ...]:
    """An index selecting the cells a key covers (prefix match for regions)."""
    index: list[np.ndarray] = []
    for axis, label, cells in zip(param.axes, key, labels, strict=True):
        if label in (ANY, NATIONAL):
            hit = np.arange(len(cells))
        elif param.axis_types[axis] is REGION:
            code = int(label)
            unit = 1 if code % 100 else 100 if code % 10000 else 10000
            hit = np.flatnonzero(cells // unit == code // unit)
        else:
            hit = np.flatnonzero(cells == label)
        if not len(hit):
            raise ParameterFileError(
                f"{param.file}: {param.name} has a value for {label!r}, which is not a known "
                f"{param.axis_types[axis].describe()}"
            )
        index.append(hit)
    return np.ix_(*index) if index else ()


def _materialise(
    param: Parameter, on: dt.date, entries: list[Entry], cell: np.ndarray
) -> CompiledParameter:
    region_axes = tuple(param.axis_types[a] is REGION for a in param.axes)
    safe = np.where(cell < 0, 0, cell)
    if not param.is_scale:
        table = np.array(
            [e.value for e in entries] or [param.vtype.default], dtype=param.vtype.dtype
        )
        return CompiledParameter(
            param, on, entries, cell, table[safe], None, region_axes, bool((cell >= 0).all())
        )
    width = max((len(e.value[0]) for e in entries), default=0)
    thr = np.full((len(entries) or 1, width), np.inf)
    amt = np.full((len(entries) or 1, width + 1), param.vtype.default, dtype=param.vtype.dtype)
    for i, e in enumerate(entries):
        thr[i, : len(e.value[0])] = e.value[0]
        amt[i, : len(e.value[1])] = e.value[1]
        amt[i, len(e.value[1]) :] = e.value[1][-1]
    return CompiledParameter(
        param, on, entries, cell, amt[safe], thr[safe], region_axes, bool((cell >= 0).all())
    )


def _axis_labels(param: Parameter, axis: str) -> np.ndarray:
    """The cells along one axis: compact region codes, or category labels."""
    vtype = param.axis_types[axis]
    if vtype is REGION:
        return regions.code_index()[1]
    if isinstance(vtype, Category):
        return np.array(vtype.categories, dtype=object)
    raise ParameterFileError(
        f"{param.file}: {param.name} is indexed by {axis!r}, which is {vtype.describe()}; "
        f"an axis must be a region or a category variable"
    )
