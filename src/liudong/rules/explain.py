"""Explanations: for one row, the tree of variables and parameter values that produced a value.

The JSON form (schema ``liudong.explain/1``, documented in docs/rules.md)::

    {"schema": "liudong.explain/1", "rule_set": "0.1.0+ab12…", "as_of": "2025-06-01",
     "reform": null, "root": NODE}

    NODE = {"variable", "label": {zh, en}, "entity", "key", "value", "display": {zh, en},
            "unit", "type", "citation": {document, article, title, number, confidence},
            "formula": {"from", "to", "location"} | null (an input),
            "parameters": [PARAM], "inputs": [NODE], "members": [NODE] (aggregated rows),
            "hint": {"zh", "en", "margin"} | absent}
    PARAM = {"name", "label", "value", "display", "unit", "key", "jurisdiction",
             "from", "to", "source", "confidence", "reform"}

A variable reached twice is expanded once; later occurrences carry ``"repeated": true``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from liudong import regions
from liudong.rules.functions import Members
from liudong.rules.parameters import NATIONAL
from liudong.rules.types import MONEY, REGION, fen_to_yuan

if TYPE_CHECKING:
    from liudong.rules.entities import Entity
    from liudong.rules.simulation import Simulation
    from liudong.rules.variables import Variable

__all__ = ["SCHEMA", "explain", "render_text"]

SCHEMA = "liudong.explain/1"
PROVISIONAL = {"zh": "（暂定）", "en": " (provisional)"}
ASSUMED = {"zh": "（模型假设）", "en": " (assumption)"}


def explain(sim: Simulation, name: str, row: int) -> dict[str, Any]:
    """The explanation of variable ``name`` for row ``row`` of its entity."""
    seen: set[tuple[str, int]] = set()
    root = _node(sim, sim.system.variable(name), row, seen)
    return {
        "schema": SCHEMA,
        "rule_set": sim.system.version,
        "as_of": sim.as_of.isoformat(),
        "reform": sim.reform.name if sim.reform else None,
        "root": root,
    }


def _display(var: Variable, value: Any) -> dict[str, str]:
    return {lang: var.vtype.format(value, lang) for lang in ("zh", "en")}


def _node(sim: Simulation, var: Variable, row: int, seen: set[tuple[str, int]]) -> dict[str, Any]:
    values = sim.calculate(var.name)
    data = sim.data[var.entity.name]
    value = values[row]
    node: dict[str, Any] = {
        "variable": var.name,
        "label": var.label,
        "entity": var.entity.name,
        "key": _scalar(data.raw(var.entity.key)[row]),
        "value": var.vtype.to_python(value),
        "display": _display(var, value),
        "unit": var.unit,
        "type": var.vtype.name,
        "citation": var.cite.as_dict(),
    }
    if (var.name, row) in seen:
        node["repeated"] = True
        return node
    seen.add((var.name, row))
    formula = sim._formula(var)
    if formula is None:
        node["formula"] = None
        return node
    node["citation"] = formula.cite.as_dict()
    node["formula"] = {
        "from": formula.start.isoformat() if formula.start else None,
        "to": formula.end.isoformat() if formula.end else None,
        "location": formula.location.rsplit("/src/", 1)[-1],
    }
    node["inputs"], node["parameters"] = [], []
    read: list[str] = []
    for name in formula.inputs:
        if name in sim.system.parameters:
            node["parameters"].append(_parameter(sim, name, var.entity, row))
            read.extend(sim.system.parameters[name].reads)  # the axes that chose the value
        elif name in sim.system.variables:
            read.append(name)
    for name in dict.fromkeys(read):
        node["inputs"].append(_input(sim, sim.system.variables[name], var.entity, row, seen))
    if var.hint is not None:
        node["hint"] = _hint(sim, var, row)
    return node


def _input(
    sim: Simulation, dep: Variable, entity: Entity, row: int, seen: set[tuple[str, int]]
) -> dict[str, Any]:
    if dep.entity is entity:
        return _node(sim, dep, row, seen)
    seen_from = sim.read(dep.name, entity)
    if isinstance(seen_from, Members):
        link, _ = sim.link(dep.entity)
        members = np.flatnonzero(link == row)
        return {
            "variable": dep.name,
            "label": dep.label,
            "entity": dep.entity.name,
            "aggregated": True,
            "members": [_node(sim, dep, int(m), seen) for m in members],
        }
    parent_row = int(sim.projection(entity, dep.entity)[row])
    return _node(sim, dep, parent_row, seen)


def _parameter(sim: Simulation, name: str, entity: Entity, row: int) -> dict[str, Any]:
    param = sim.system.parameters[name]
    compiled = sim.system.compiled(name, sim.as_of, sim.reform)
    axis_values = [np.asarray(sim.read(axis, entity))[row : row + 1] for axis in param.axes]
    entry = compiled.entry_for(axis_values)
    value = sim.parameter_values(name, entity)[row]
    regions_used = [
        int(v[0])
        for axis, v in zip(param.axes, axis_values, strict=True)
        if param.axis_types[axis] is REGION
    ]
    return {
        "name": name,
        "label": param.label,
        "value": param.vtype.to_python(value),
        "display": {lang: param.vtype.format(value, lang) for lang in ("zh", "en")},
        "unit": param.unit,
        "key": list(entry.key),
        "jurisdiction": _jurisdiction(entry.key, param.axes, param.axis_types, regions_used),
        "from": entry.start.isoformat() if entry.reform is None else None,
        "to": entry.end.isoformat() if entry.end else None,
        "source": entry.cite.as_dict(),
        "confidence": entry.confidence,
        "reform": entry.reform,
        "note": entry.note,
    }


def _jurisdiction(
    key: tuple[str, ...], axes: tuple[str, ...], types: dict[str, Any], asked: list[int]
) -> dict[str, Any] | None:
    for label, axis in zip(key, axes, strict=True):
        if types[axis] is REGION:
            if label in (NATIONAL, "*"):
                return {"code": None, "name": {"zh": "全国", "en": "national"}, "asked": asked}
            code = int(label)
            return {
                "code": code,
                "name": {"zh": regions.name(code), "en": f"{regions.name(code)} {code}"},
                "asked": asked,
            }
    return None


def _hint(sim: Simulation, var: Variable, row: int) -> dict[str, Any]:
    hint = var.hint
    if hint is None:
        return {}
    value_var = sim.system.variables[hint.value]
    value = np.asarray(sim.read(hint.value, var.entity))[row]
    if hint.threshold in sim.system.parameters:
        threshold = sim.parameter_values(hint.threshold, var.entity)[row]
        t_label = sim.system.parameters[hint.threshold].label
        t_type = sim.system.parameters[hint.threshold].vtype
    else:
        threshold = np.asarray(sim.read(hint.threshold, var.entity))[row]
        t_label = sim.system.variables[hint.threshold].label
        t_type = sim.system.variables[hint.threshold].vtype
    margin = value - threshold
    shown = {lang: value_var.vtype.format(abs(margin), lang) for lang in ("zh", "en")}
    limit = {lang: t_type.format(threshold, lang) for lang in ("zh", "en")}
    if margin > 0:
        zh = f"{value_var.label['zh']}比{t_label['zh']}（{limit['zh']}）高 {shown['zh']}"
        en = f"{value_var.label['en']} is {shown['en']} above the {t_label['en']} of {limit['en']}"
    elif margin < 0:
        zh = f"{value_var.label['zh']}比{t_label['zh']}（{limit['zh']}）低 {shown['zh']}"
        en = f"{value_var.label['en']} is {shown['en']} below the {t_label['en']} of {limit['en']}"
    else:
        zh = f"{value_var.label['zh']}恰好等于{t_label['zh']}（{limit['zh']}）"
        en = f"{value_var.label['en']} equals the {t_label['en']} of {limit['en']}"
    out: dict[str, Any] = {"zh": zh, "en": en, "margin": _plain(value_var, margin)}
    if hint.lever is not None and hint.lever_effect is not None:
        effect = hint.lever_effect
        if isinstance(effect, str):
            effect = float(sim.parameter_values(effect, var.entity)[row])
        lever = sim.system.variables[hint.lever]
        out["zh"] += f"；{lever.label['zh']}每增加 1 {lever.unit}，增加 {effect:g}"
        out["en"] += f"; each further {lever.unit} of {lever.label['en']} adds {effect:g}"
    return out


def _plain(var: Variable, value: Any) -> Any:
    if var.vtype is MONEY:
        return str(fen_to_yuan(int(value)))
    return _scalar(value)


def _scalar(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def render_text(explanation: dict[str, Any], lang: str = "zh") -> str:
    """The explanation as indented text in zh-Hans or English."""
    head = "规则版本" if lang == "zh" else "rule set"
    date = "评估日期" if lang == "zh" else "as of"
    lines = [f"{head} {explanation['rule_set']} · {date} {explanation['as_of']}"]
    if explanation.get("reform"):
        lines.append(("改革方案：" if lang == "zh" else "reform: ") + explanation["reform"])
    _render(explanation["root"], lang, 0, lines)
    return "\n".join(lines)


def _render(node: dict[str, Any], lang: str, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    if node.get("aggregated"):
        lines.append(
            f"{pad}{node['label'][lang]} ({node['variable']}) —"
            + (" 各成员：" if lang == "zh" else " for each member:")
        )
        for member in node["members"]:
            _render(member, lang, depth + 1, lines)
        return
    cite = node["citation"]
    title = _title(cite, lang)
    marker = (
        PROVISIONAL[lang]
        if cite["confidence"] == "provisional"
        else (ASSUMED[lang] if cite["confidence"] == "assumption" else "")
    )
    if node.get("repeated"):
        kind = "（见上）" if lang == "zh" else " (see above)"
    elif node.get("formula") is None:
        kind = " [输入]" if lang == "zh" else " [input]"
    else:
        kind = ""
    lines.append(
        f"{pad}{node['label'][lang]} ({node['variable']}) = {node['display'][lang]}{kind}"
        + ("" if node.get("repeated") else f" — {title} {cite['article']}{marker}")
    )
    for param in node.get("parameters", ()):
        lines.append(f"{pad}  · {_param_line(param, lang)}")
    if "hint" in node:
        lines.append(f"{pad}  → {node['hint'][lang]}")
    for child in node.get("inputs", ()):
        _render(child, lang, depth + 1, lines)


def _param_line(param: dict[str, Any], lang: str) -> str:
    src = param["source"]
    where = param["jurisdiction"]
    place = f" [{where['name'][lang]}]" if where else ""
    confidence = param["confidence"]
    marker = (
        PROVISIONAL[lang]
        if confidence == "provisional"
        else (ASSUMED[lang] if confidence == "assumption" else "")
    )
    if param.get("reform"):
        since = ("改革方案 " if lang == "zh" else "reform ") + param["reform"]
    else:
        since = ("自 " if lang == "zh" else "from ") + param["from"]
    return (
        f"{param['label'][lang]} = {param['display'][lang]} ({param['unit']}){place}, "
        f"{since}, {_title(src, lang)} {src['article']}{marker}"
    )


def _title(cite: dict[str, Any], lang: str) -> str:
    title = str(cite["title"] if lang == "zh" else cite.get("title_en") or cite["title"])
    number = cite.get("number") or ""
    if not number or number in title:
        return title
    return f"{title}（{number}）" if lang == "zh" else f"{title} ({number})"
