"""The rule system: every variable and parameter of the domains, checked and versioned."""

from __future__ import annotations

import difflib
import functools
import hashlib
import importlib
from collections import OrderedDict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import liudong
from liudong.rules.entities import HOUSEHOLD, PERSON, Entity
from liudong.rules.errors import DependencyCycleError, RulesError, UnknownVariableError
from liudong.rules.parameters import (
    CompiledParameter,
    Parameter,
    compile_parameter,
    load_parameter_files,
)
from liudong.rules.types import Category, ValueType
from liudong.rules.variables import AS_OF, Formula, Variable

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable, Sequence
    from types import ModuleType

    from liudong.rules.reforms import Reform

__all__ = ["DOMAINS", "RuleSystem", "default_system"]

#: The domain rule modules of liudong, in dependency order.
DOMAINS = ("liudong.pension.rules", "liudong.settlement.rules", "liudong.assistance.rules")


@dataclass(frozen=True)
class Dependencies:
    variables: tuple[str, ...]
    parameters: tuple[str, ...]


class RuleSystem:
    """Variables from rule modules plus parameters from their packages' ``parameters/`` folders."""

    def __init__(
        self,
        modules: Sequence[str | ModuleType] = DOMAINS,
        *,
        entities: Sequence[Entity] = (PERSON, HOUSEHOLD),
        extra_parameter_files: Sequence[Path] = (),
    ) -> None:
        loaded = [importlib.import_module(m) if isinstance(m, str) else m for m in modules]
        self.module_names = tuple(m.__name__ for m in loaded)
        self.entities = {e.name: e for e in entities}
        self.variables = _collect_variables(loaded)
        for var in self.variables.values():
            self.entities.setdefault(var.entity.name, var.entity)
        self.types: dict[str, ValueType] = {
            v.vtype.name: v.vtype for v in self.variables.values() if isinstance(v.vtype, Category)
        }
        self.files = sorted(_parameter_files(loaded)) + list(extra_parameter_files)
        self.parameters = load_parameter_files(self.files, self.types)
        self._check_parameters()
        self._deps = {name: self._dependencies(var) for name, var in self.variables.items()}
        self._check_cycles()
        self.version = _version(loaded, self.files)
        self._compiled: OrderedDict[tuple[dt.date, str, str], CompiledParameter] = OrderedDict()

    # ------------------------------------------------------------ lookups

    def variable(self, name: str) -> Variable:
        try:
            return self.variables[name]
        except KeyError:
            raise UnknownVariableError(self._unknown(name, "variable")) from None

    def parameter(self, name: str) -> Parameter:
        try:
            return self.parameters[name]
        except KeyError:
            raise UnknownVariableError(self._unknown(name, "parameter")) from None

    def dependencies(self, name: str) -> Dependencies:
        return self._deps[name]

    def compiled(self, name: str, on: dt.date, reform: Reform | None) -> CompiledParameter:
        """The parameter resolved for a date and reform (cached; the cache is bounded)."""
        key = (on, reform.key if reform else "", name)
        hit = self._compiled.get(key)
        if hit is None:
            param = self.parameters[name]
            hit = compile_parameter(param, on, reform.overrides(param) if reform else None)
            self._compiled[key] = hit
            if len(self._compiled) > 4096:
                self._compiled.popitem(last=False)
        return hit

    def downstream(self, changed: Iterable[str]) -> set[str]:
        """Variables whose value may change when these variables or parameters change."""
        readers: dict[str, set[str]] = {}
        for name, deps in self._deps.items():
            for dep in (*deps.variables, *deps.parameters):
                readers.setdefault(dep, set()).add(name)
        out: set[str] = set()
        todo = list(changed)
        while todo:
            for reader in readers.get(todo.pop(), ()):
                if reader not in out:
                    out.add(reader)
                    todo.append(reader)
        return out

    def columns_for(self, names: Iterable[str]) -> dict[str, set[str]]:
        """The input columns each entity must supply to compute ``names`` (keys included)."""
        needed: set[str] = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            if name in needed:
                continue
            needed.add(name)
            if name in self.variables and not self.variables[name].is_input:
                deps = self._deps[name]
                todo.extend(deps.variables)
        columns: dict[str, set[str]] = {e: {ent.key} for e, ent in self.entities.items()}
        for entity in self.entities.values():
            if entity.parent_key:
                columns[entity.name].add(entity.parent_key)
        for name in needed:
            var = self.variables.get(name)
            if var is not None and var.is_input:
                columns[var.entity.name].add(name)
        return columns

    def reform_changes(self, reform: Reform) -> set[str]:
        """The variables a reform may change, directly or downstream."""
        for name in reform.parameters:
            self.parameter(name)
        for name in reform.formulas:
            self.variable(name)
        direct = set(reform.parameters) | set(reform.formulas)
        return self.downstream(direct) | set(reform.formulas)

    # ------------------------------------------------------------ checks

    def _unknown(self, name: str, kind: str) -> str:
        names = [*self.variables, *self.parameters]
        close = difflib.get_close_matches(name, names, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        return (
            f"unknown {kind} {name!r}.{hint} `liudong rules list` shows every variable and "
            f"parameter."
        )

    def _check_parameters(self) -> None:
        for param in self.parameters.values():
            if param.name in self.variables:
                raise RulesError(
                    f"{param.file}: parameter {param.name!r} has the name of a variable in "
                    f"{self.variables[param.name].module}; rename one of them"
                )
            for axis in param.reads:
                if axis not in self.variables:
                    raise UnknownVariableError(
                        f"{param.file}: parameter {param.name} reads {axis!r}, "
                        + self._unknown(axis, "variable")
                    )
                param.axis_types[axis] = self.variables[axis].vtype

    def _dependencies(self, var: Variable) -> Dependencies:
        names: list[str] = []
        for formula in var.formulas:
            names.extend(n for n in formula.inputs if n not in names)
        variables, parameters = [], []
        for name in names:
            if name == AS_OF:
                continue
            if name in self.parameters:
                parameters.append(name)
                for read in self.parameters[name].reads:
                    self._check_link(var, read, formula_of=var.formulas[0])
                continue
            if name not in self.variables:
                formula = next(f for f in var.formulas if name in f.inputs)
                raise UnknownVariableError(
                    f"the formula of {var.name} ({formula.location}) reads "
                    + self._unknown(name, "variable or parameter")
                )
            self._check_link(var, name, formula_of=var.formulas[0])
            variables.append(name)
        variables.extend(
            r for p in parameters for r in self.parameters[p].reads if r not in variables
        )
        return Dependencies(tuple(variables), tuple(parameters))

    def _check_link(self, var: Variable, name: str, formula_of: Formula) -> None:
        other = self.variables[name].entity
        here = var.entity
        if other is here or other.is_ancestor_of(here) or other.parent is here:
            return
        raise RulesError(
            f"the formula of {var.name} ({formula_of.location}), a {here.name} variable, reads "
            f"{name}, a {other.name} variable; a formula may read its own entity, an entity it "
            f"belongs to, or its direct members"
        )

    def _check_cycles(self) -> None:
        state: dict[str, int] = {}
        stack: list[str] = []

        def visit(name: str) -> None:
            state[name] = 1
            stack.append(name)
            for dep in self._deps[name].variables:
                if state.get(dep) == 1:
                    cycle = [*stack[stack.index(dep) :], dep]
                    raise DependencyCycleError(
                        "formulas depend on each other in a circle: "
                        + " -> ".join(cycle)
                        + ". Break it: one of them must be an input or read something else."
                    )
                if dep not in state:
                    visit(dep)
            stack.pop()
            state[name] = 2

        for name in self.variables:
            if name not in state:
                visit(name)


def _collect_variables(modules: Sequence[ModuleType]) -> dict[str, Variable]:
    found: dict[str, Variable] = {}
    for module in modules:
        for attr, value in vars(module).items():
            if not isinstance(value, Variable):
                continue
            if value.name in found and found[value.name] is not value:
                raise RulesError(
                    f"variable {value.name!r} is declared twice: in {found[value.name].module} "
                    f"and in {module.__name__}"
                )
            if attr != value.name and not attr.startswith("_"):
                raise RulesError(
                    f"{module.__name__}.{attr} holds variable {value.name}; use one name"
                )
            found[value.name] = value
    return found


def _parameter_files(modules: Sequence[ModuleType]) -> list[Path]:
    files: list[Path] = []
    for module in modules:
        source = getattr(module, "__file__", None)
        if source is None:  # a module made in memory (tests) has no parameters folder
            continue
        folder = Path(source).parent / "parameters"
        if folder.is_dir():
            files.extend(sorted(folder.glob("*.yaml")))
    return files


def _version(modules: Sequence[ModuleType], files: Sequence[Path]) -> str:
    """Package version plus a content hash of every rule module and parameter file."""
    digest = hashlib.sha256()
    sources = [Path(f) for m in modules if (f := getattr(m, "__file__", None))]
    catalogue = resources.files("liudong.rules").joinpath("documents.yaml")
    for path in sorted(sources, key=str) + list(files):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(catalogue.read_bytes())
    return f"{liudong.__version__}+{digest.hexdigest()[:12]}"


@functools.cache
def default_system() -> RuleSystem:
    """liudong's rules: every domain's variables and parameters (built once per process)."""
    return RuleSystem(DOMAINS)
