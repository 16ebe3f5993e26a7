"""Simulations: the rules evaluated over data, one row or ten million, as of one date.

A simulation holds the input columns of each entity (from Polars frames, Parquet files or a
small JSON case), computes what is asked and only that, once, and keeps the results. A reform
derives a new simulation from a loaded one, sharing its inputs and every result the reform
cannot change: only what lies downstream of the change is computed again.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from liudong.rules.errors import DtypeError, InputError, MissingInputError, RulesError
from liudong.rules.functions import Members
from liudong.rules.parameters import axis_positions
from liudong.rules.types import REGION
from liudong.rules.variables import AS_OF

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from liudong.rules.entities import Entity
    from liudong.rules.reforms import Reform
    from liudong.rules.system import RuleSystem
    from liudong.rules.variables import Formula, Variable

__all__ = ["Simulation"]

#: Parameter columns are kept for reuse up to this many rows (single cases, explanations).
CACHED_PARAMETER_ROWS = 100_000


class EntityData:
    """The input columns of one entity: a Polars frame, or arrays parsed from a case."""

    def __init__(self, entity: Entity, frame: pl.DataFrame | None, arrays: dict[str, np.ndarray]):
        self.entity = entity
        self.frame = frame
        self.arrays = arrays
        self.n = frame.height if frame is not None else _length(arrays, entity)
        self.converted: dict[str, np.ndarray] = {}

    def has(self, column: str) -> bool:
        return column in self.arrays or (self.frame is not None and column in self.frame.columns)

    def raw(self, column: str) -> np.ndarray:
        """A key column as numpy (ids may be integers or strings)."""
        if column in self.arrays:
            return self.arrays[column]
        series = self._series(column)
        if series.null_count():
            raise InputError(f"{self.entity.name} column {column!r} has missing values")
        return series.to_numpy()

    def _series(self, column: str) -> pl.Series:
        if self.frame is None or column not in self.frame.columns:
            raise MissingInputError(f"{self.entity.name} data has no column {column!r}")
        return self.frame.get_column(column)

    def column(self, var: Variable) -> np.ndarray:
        hit = self.converted.get(var.name)
        if hit is None:
            if var.name in self.arrays:
                hit = var.vtype.coerce(self.arrays[var.name], self.n, what=f"column {var.name!r}")
            else:
                hit = var.vtype.from_polars(self._series(var.name), what=var.name)
            self.converted[var.name] = hit
        return hit


def _length(arrays: dict[str, np.ndarray], entity: Entity) -> int:
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) > 1:
        raise InputError(f"{entity.name} columns have different lengths: {sorted(lengths)}")
    return lengths.pop() if lengths else 0


class Simulation:
    """The rules of ``system`` over ``data`` as of ``as_of`` (optionally under a reform)."""

    def __init__(
        self,
        system: RuleSystem,
        as_of: dt.date,
        data: Mapping[str, pl.DataFrame | EntityData],
        reform: Reform | None = None,
    ) -> None:
        if isinstance(as_of, dt.datetime) or not isinstance(as_of, dt.date):
            raise InputError(f"as_of must be a date (YYYY-MM-DD), got {as_of!r}")
        self.system = system
        self.as_of = as_of
        self.reform = reform
        if reform is not None:
            system.reform_changes(reform)  # validates the names it touches
        self.data: dict[str, EntityData] = {}
        for name, value in data.items():
            entity = self._entity(name)
            self.data[entity.name] = (
                value if isinstance(value, EntityData) else EntityData(entity, value, {})
            )
        self.values: dict[str, np.ndarray] = {}
        self._links: dict[str, tuple[np.ndarray, bool]] = {}
        self._parameter_cache: dict[tuple[str, str], np.ndarray] = {}
        self._axis_cache: dict[tuple[str, str], np.ndarray] = {}
        self._stack: list[str] = []

    # ------------------------------------------------------------ construction

    @classmethod
    def from_case(
        cls,
        system: RuleSystem,
        as_of: dt.date,
        case: Mapping[str, Any],
        reform: Reform | None = None,
    ) -> Simulation:
        """From rows as in JSON: ``{"persons": [{...}], "households": [{...}]}``.

        Values are parsed by each variable's type: money in yuan (strings or integers), dates
        as YYYY-MM-DD, categories by label. Unknown columns are an error (a typo would
        otherwise be ignored silently).
        """
        plurals = {e.plural: e for e in system.entities.values()}
        data: dict[str, EntityData] = {}
        for plural, rows in case.items():
            if plural not in plurals:
                raise InputError(
                    f"unknown entity list {plural!r}; expected one of: {', '.join(plurals)}"
                )
            entity = plurals[plural]
            data[entity.name] = EntityData(entity, None, _parse_rows(system, entity, rows))
        return cls(system, as_of, data, reform)

    @classmethod
    def from_parquet(
        cls,
        system: RuleSystem,
        as_of: dt.date,
        directory: Path,
        reform: Reform | None = None,
        *,
        variables: Iterable[str] | None = None,
    ) -> Simulation:
        """From a dataset folder with one subfolder of Parquet files per entity; with
        ``variables``, only the columns they need are read."""
        wanted = system.columns_for(variables) if variables is not None else None
        frames = {}
        for entity in system.entities.values():
            folder = Path(directory) / entity.name
            if folder.is_dir():
                files = sorted(folder.glob("*.parquet"))
                columns = (
                    present_columns(files[0], wanted[entity.name]) if wanted and files else None
                )
                frames[entity.name] = pl.read_parquet(files, columns=columns)
        if not frames:
            raise InputError(f"{directory} has no entity folders (person/, household/)")
        return cls(system, as_of, frames, reform)

    def with_reform(self, reform: Reform | None) -> Simulation:
        """The same population under another reform, reusing every unaffected result."""
        other = Simulation(self.system, self.as_of, self.data, reform)
        changed = self.system.reform_changes(reform) if reform else set()
        if self.reform is not None:
            changed |= self.system.reform_changes(self.reform)
        other.values = {k: v for k, v in self.values.items() if k not in changed}
        other._links = self._links
        return other

    # ------------------------------------------------------------ evaluation

    def calculate(self, name: str) -> np.ndarray:
        """The values of a variable, one per row of its entity (computed at most once)."""
        hit = self.values.get(name)
        if hit is not None:
            return hit
        var = self.system.variable(name)
        if name in self._stack:  # defensive: the system rejects cycles at build time
            raise RulesError(" -> ".join([*self._stack, name]))
        self._stack.append(name)
        try:
            result = self._compute(var)
        finally:
            self._stack.pop()
        self.values[name] = result
        return result

    def calculate_all(self, names: Iterable[str]) -> dict[str, np.ndarray]:
        return {name: self.calculate(name) for name in names}

    def _compute(self, var: Variable) -> np.ndarray:
        data = self._entity_data(var.entity)
        formula = self._formula(var)
        if formula is None:
            if not data.has(var.name):
                raise MissingInputError(self._missing(var))
            return data.column(var)
        args = {name: self._argument(var, name) for name in formula.inputs}
        try:
            result = formula.func(**args)
        except Exception as exc:
            exc.add_note(f"in the formula of {var.name} ({formula.location})")
            raise
        return var.vtype.coerce(result, data.n, what=f"{var.name} ({formula.location})")

    def _formula(self, var: Variable) -> Formula | None:
        if self.reform is not None and var.name in self.reform.formulas:
            from liudong.rules.variables import _formula

            base = var.formula_on(self.as_of) or (var.formulas[-1] if var.formulas else None)
            cite = base.cite if base else var.cite
            return _formula(self.reform.formulas[var.name], None, None, cite)
        if var.is_input:
            return None
        formula = var.formula_on(self.as_of)
        if formula is None:
            periods = ", ".join(f.period() for f in var.formulas)
            raise RulesError(
                f"{var.name} has no formula in force on {self.as_of.isoformat()} (its formulas "
                f"cover {periods}); evaluate at a date they cover"
            )
        return formula

    def _argument(self, var: Variable, name: str) -> Any:
        if name == AS_OF:
            return np.datetime64(self.as_of, "D")
        if name in self.system.parameters:
            return self.parameter_values(name, var.entity)
        return self.read(name, var.entity)

    def read(self, name: str, entity: Entity) -> Any:
        """A variable seen from ``entity``: its own, projected from a parent, or as Members."""
        var = self.system.variable(name)
        values = self.calculate(name)
        if var.entity is entity:
            return values
        if var.entity.parent is entity:
            link, grouped = self.link(var.entity)
            return Members(values, link, self._entity_data(entity).n, grouped)
        return values[self.projection(entity, var.entity)]

    def parameter_values(self, name: str, entity: Entity) -> np.ndarray:
        """A parameter's value for each row of ``entity`` (by its axes and scale input)."""
        hit = self._parameter_cache.get((name, entity.name))
        if hit is None:
            param = self.system.parameters[name]
            compiled = self.system.compiled(name, self.as_of, self.reform)
            idx = tuple(self._axis_index(axis, entity) for axis in param.axes)
            measured = self.read(param.scale_input, entity) if param.scale_input else None
            n = self._entity_data(entity).n
            hit = compiled.gather_at(idx, measured, n)
            if n <= CACHED_PARAMETER_ROWS:  # explanations re-read them; populations need memory
                self._parameter_cache[(name, entity.name)] = hit
        return hit

    def _axis_index(self, axis: str, entity: Entity) -> np.ndarray:
        """Positions along one parameter axis for each row (cached: many parameters share
        the same region or category axis)."""
        hit = self._axis_cache.get((axis, entity.name))
        if hit is None:
            values = np.asarray(self.read(axis, entity))
            hit = axis_positions(values, self.system.variables[axis].vtype is REGION)
            self._axis_cache[(axis, entity.name)] = hit
        return hit

    # ------------------------------------------------------------ entity links

    def link(self, child: Entity) -> tuple[np.ndarray, bool]:
        """For each row of ``child``, the row of its parent; and whether rows are grouped."""
        hit = self._links.get(child.name)
        if hit is None:
            if child.parent is None or child.parent_key is None:
                raise RulesError(f"{child.name} belongs to no other entity")
            rows = self._entity_data(child)
            parent = self._entity_data(child.parent)
            if not rows.has(child.parent_key):
                raise MissingInputError(
                    f"{child.name} data has no {child.parent_key!r} column: each {child.name} "
                    f"must name its {child.parent.name}"
                )
            index = _positions(rows.raw(child.parent_key), parent.raw(child.parent.key), child)
            if len(index) < 2**31 - 1:
                index = index.astype(np.int32)  # half the memory of a 64-bit link per row
            grouped = bool(np.all(index[1:] >= index[:-1])) if len(index) else True
            hit = (index, grouped)
            self._links[child.name] = hit
        return hit

    def projection(self, entity: Entity, ancestor: Entity) -> np.ndarray:
        """For each row of ``entity``, the row of its ancestor entity."""
        index = np.arange(self._entity_data(entity).n)
        node = entity
        while node is not ancestor:
            if node.parent is None:
                raise RulesError(f"{ancestor.name} is not an ancestor of {entity.name}")
            index = self.link(node)[0][index]
            node = node.parent
        return index

    def _entity(self, name: str) -> Entity:
        entities = self.system.entities
        by_plural = {e.plural: e for e in entities.values()}
        if name in entities:
            return entities[name]
        if name in by_plural:
            return by_plural[name]
        raise InputError(f"unknown entity {name!r}; expected one of: {', '.join(entities)}")

    def _entity_data(self, entity: Entity) -> EntityData:
        try:
            return self.data[entity.name]
        except KeyError:
            needed = " -> ".join(self._stack)
            raise MissingInputError(
                f"no {entity.name} rows were given, but {needed or 'the request'} needs them; "
                f"add {entity.plural}"
            ) from None

    def _missing(self, var: Variable) -> str:
        chain = " -> ".join(self._stack[:-1]) if len(self._stack) > 1 else ""
        needed = f", needed by {chain}" if chain else ""
        return (
            f"input column {var.name!r} ({var.label['en']}, {var.vtype.describe()}) is missing "
            f"from the {var.entity.name} data{needed}. Add the column, or ask for variables "
            f"that do not need it."
        )

    # ------------------------------------------------------------ output

    def frame(self, names: Sequence[str], entity: Entity | str | None = None) -> pl.DataFrame:
        """The key column and the named variables of one entity, as a Polars frame."""
        variables = [self.system.variable(n) for n in names]
        ent = self._entity(entity) if isinstance(entity, str) else entity or variables[0].entity
        data = self._entity_data(ent)
        columns = [pl.Series(ent.key, data.raw(ent.key))]
        for var in variables:
            values = self.read(var.name, ent)
            if isinstance(values, Members):
                raise InputError(f"{var.name} is a {var.entity.name} variable; aggregate it first")
            columns.append(var.vtype.to_polars(var.name, values))
        return pl.DataFrame(columns)

    def frames(self, names: Sequence[str]) -> dict[str, pl.DataFrame]:
        """One frame per entity holding the variables of that entity."""
        by_entity: dict[str, list[str]] = {}
        for name in names:
            by_entity.setdefault(self.system.variable(name).entity.name, []).append(name)
        return {ent: self.frame(vs, ent) for ent, vs in by_entity.items()}

    def row_of(self, entity: Entity, key: Any) -> int:
        keys = self._entity_data(entity).raw(entity.key)
        hits = np.flatnonzero(keys == type(keys[0])(key) if len(keys) else [])
        if not len(hits):
            raise InputError(f"no {entity.name} with {entity.key} = {key!r}")
        return int(hits[0])


def present_columns(path: Path | str, columns: set[str]) -> list[str]:
    """The asked columns that the Parquet file has, in the file's order."""
    return [c for c in pl.read_parquet_schema(path) if c in columns]


def _positions(child_keys: np.ndarray, parent_keys: np.ndarray, child: Entity) -> np.ndarray:
    """Positional index of each child key among the parent keys (no join)."""
    parent_name = child.parent.name if child.parent else "parent"
    if len(parent_keys) and child_keys.dtype.kind in "iu" and parent_keys.dtype.kind in "iu":
        low, high = int(parent_keys.min()), int(parent_keys.max())
        if high - low < 4 * len(parent_keys) + 1024:
            lut = np.full(high - low + 1, -1, dtype=np.int64)
            lut[parent_keys - low] = np.arange(len(parent_keys))
            if np.count_nonzero(lut >= 0) != len(parent_keys):
                raise InputError(f"{parent_name} keys are not unique")
            inside = (child_keys >= low) & (child_keys <= high)
            index = np.full(len(child_keys), -1, dtype=np.int64)
            index[inside] = lut[child_keys[inside] - low]
            return _check_found(index, child_keys, child, parent_name)
    order = np.argsort(parent_keys, kind="stable")
    ordered = parent_keys[order]
    if len(ordered) > 1 and np.any(ordered[1:] == ordered[:-1]):
        raise InputError(f"{parent_name} keys are not unique")
    pos = np.searchsorted(ordered, child_keys)
    pos = np.clip(pos, 0, max(len(ordered) - 1, 0))
    found = ordered[pos] == child_keys if len(ordered) else np.zeros(len(child_keys), bool)
    index = np.where(found, order[pos] if len(order) else -1, -1)
    return _check_found(index, child_keys, child, parent_name)


def _check_found(index: np.ndarray, keys: np.ndarray, child: Entity, parent: str) -> np.ndarray:
    missing = np.flatnonzero(index < 0)
    if len(missing):
        examples = ", ".join(str(k) for k in keys[missing[:5]])
        raise InputError(
            f"{len(missing)} {child.name} rows name a {child.parent_key} that is not among the "
            f"{parent} rows (e.g. {examples})"
        )
    return index


def _parse_rows(
    system: RuleSystem, entity: Entity, rows: Sequence[Mapping[str, Any]]
) -> dict[str, np.ndarray]:
    if not isinstance(rows, list):
        raise InputError(f"{entity.plural} must be a list of objects")
    keys = {entity.key} | ({entity.parent_key} if entity.parent_key else set())
    columns: dict[str, list[Any]] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise InputError(f"{entity.plural}[{i}] must be an object")
        for column in row:
            if column not in keys:
                var = system.variables.get(column)
                if var is None or var.entity is not entity or not var.is_input:
                    raise InputError(_unknown_column(system, entity, column, i))
            columns.setdefault(column, [])
    for column in keys:
        columns.setdefault(column, [])
    if not rows:  # no rows: every input of the entity is an empty column
        for var in system.variables.values():
            if var.entity is entity and var.is_input:
                columns.setdefault(var.name, [])
    out: dict[str, np.ndarray] = {}
    for column in columns:
        values = []
        for i, row in enumerate(rows):
            where = f"{entity.plural}[{i}].{column}"
            if column not in row:
                if column in keys and column == entity.key:
                    values.append(i + 1)  # rows without ids are numbered 1, 2, ...
                    continue
                raise InputError(f"{where} is missing (every row needs the same columns)")
            values.append(
                row[column]
                if column in keys
                else system.variables[column].vtype.parse(row[column], where=where)
            )
        out[column] = _array(values, column in keys, system, column)
    return out


def _array(values: list[Any], is_key: bool, system: RuleSystem, column: str) -> np.ndarray:
    if is_key:
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return np.asarray(values, dtype=np.int64)
        return np.asarray([str(v) for v in values])
    vtype = system.variables[column].vtype
    try:
        return np.asarray(values, dtype=vtype.dtype)
    except (TypeError, ValueError) as exc:
        raise DtypeError(f"column {column!r}: {exc}") from None


def _unknown_column(system: RuleSystem, entity: Entity, column: str, row: int) -> str:
    var = system.variables.get(column)
    where = f"{entity.plural}[{row}].{column}"
    if var is None:
        import difflib

        inputs = [v.name for v in system.variables.values() if v.entity is entity and v.is_input]
        close = difflib.get_close_matches(column, inputs, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        return f"{where}: unknown column.{hint}"
    if var.entity is not entity:
        return f"{where}: {column} belongs to {var.entity.plural}, not {entity.plural}"
    return f"{where}: {column} is computed by a formula and cannot be given as input"
