"""Reforms: parameter overrides and formula replacements, in Python or as JSON.

JSON (the same shape as the Python constructor)::

    {
      "name": "residence weighs more",
      "description": "one point per year of residence instead of 0.5",
      "parameters": {
        "dibao_standard": {"110000": "1500"},            # key path -> value
        "bj_points_education": {"*": "20"},              # "*": every cell
        "bj_age_points": {"": {"thresholds": [45], "amounts": [20, 0]}}
      },
      "formulas": {"household_size": "mypackage.reforms:household_size"}
    }

A key path names one value per axis, joined by "/" ("110000/bachelor"); "" for a parameter
without axes; "*" for every cell. Override values use the parameter's units (money in yuan).
A replacement formula is a Python function named by "module:function" whose argument names
declare its inputs, like any formula.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from liudong.rules.citations import Cite
from liudong.rules.errors import InputError, ReformError
from liudong.rules.parameters import ANY, Entry, Parameter

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["Reform"]


@dataclass(frozen=True, eq=False)
class Reform:
    name: str
    parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    formulas: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    description: str = ""

    @classmethod
    def from_json(cls, source: str | Path | Mapping[str, Any]) -> Reform:
        """From a JSON file path, a JSON string, or an already parsed mapping."""
        if isinstance(source, Path) or (
            isinstance(source, str) and not source.lstrip().startswith("{")
        ):
            path = Path(source)
            try:
                data = json.loads(path.read_text("utf-8"))
            except FileNotFoundError:
                raise ReformError(f"reform file {path} does not exist") from None
            except json.JSONDecodeError as exc:
                raise ReformError(f"reform file {path} is not valid JSON: {exc}") from None
        elif isinstance(source, str):
            data = json.loads(source)
        else:
            data = dict(source)
        unknown = set(data) - {"name", "description", "parameters", "formulas"}
        if unknown:
            raise ReformError(
                f"reform has unknown keys {sorted(unknown)}; "
                f"expected name, description, parameters, formulas"
            )
        if "name" not in data:
            raise ReformError("a reform needs a name (shown in every result it changes)")
        formulas = {var: _import(path) for var, path in data.get("formulas", {}).items()}
        return cls(
            name=str(data["name"]),
            parameters=data.get("parameters", {}),
            formulas=formulas,
            description=str(data.get("description", "")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "parameters": {k: dict(v) for k, v in self.parameters.items()},
            "formulas": {k: f"{f.__module__}:{f.__qualname__}" for k, f in self.formulas.items()},
        }

    @property
    def key(self) -> str:
        """A stable identity for caching compiled parameters."""
        text = json.dumps(self.to_json(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def overrides(self, param: Parameter) -> dict[tuple[str, ...], Entry]:
        """This reform's values for one parameter, as entries that win over the law's."""
        cite = Cite("MODEL", f"reform: {self.name}")
        out: dict[tuple[str, ...], Entry] = {}
        for path, raw in self.parameters.get(param.name, {}).items():
            key = _key_path(param, path)
            where = f"reform {self.name!r}: {param.name}[{path}]"
            try:
                if param.is_scale:
                    if not isinstance(raw, dict) or {"thresholds", "amounts"} - raw.keys():
                        raise ReformError(
                            f"{where}: a scale takes {{thresholds: [...], amounts: [...]}}"
                        )
                    thresholds = tuple(float(t) for t in raw["thresholds"])
                    amounts = tuple(param.vtype.parse(a, where=where) for a in raw["amounts"])
                    if len(amounts) != len(thresholds) + 1:
                        raise ReformError(f"{where}: a scale needs one more amount than thresholds")
                    value: Any = (thresholds, amounts)
                else:
                    value = param.vtype.parse(raw, where=where)
            except InputError as exc:
                raise ReformError(str(exc)) from None
            out[key] = Entry(key, dt.date.min, None, value, cite, "assumption", reform=self.name)
        return out


def _key_path(param: Parameter, path: str) -> tuple[str, ...]:
    if path == ANY:
        return (ANY,) * len(param.axes)
    parts = tuple(p for p in path.split("/") if p) if path else ()
    if len(parts) != len(param.axes):
        axes = "/".join(param.axes) or '(none: use "")'
        raise ReformError(
            f"reform key {path!r} for {param.name} must name one value per axis: {axes}"
        )
    return tuple(str(int(p)) if p.isdigit() and len(p) == 6 else p for p in parts)


def _import(path: str) -> Callable[..., Any]:
    module_name, _, attr = path.partition(":")
    if not attr:
        raise ReformError(f"formula {path!r} must be written module:function")
    try:
        func = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ReformError(f"cannot import formula {path!r}: {exc}") from None
    if hasattr(func, "formulas"):  # a declared Variable: take its latest formula
        func = func.formulas[-1].func
    if not callable(func):
        raise ReformError(f"{path!r} is not a function")
    return func  # type: ignore[no-any-return]  # getattr on a module is untyped
