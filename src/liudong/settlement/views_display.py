"""What the settlement pages show of a rule result: labels in the page's language and an
explanation (``liudong.explain/1``) flattened into lines a template can print without
recursion, each with its citation and a visible mark where a value is provisional."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext

from liudong.site.text import label_language

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

UNSURE = frozenset({"provisional", "assumption"})
MAX_DEPTH = 4  # deeper lines are shown at this indent


def lang() -> str:
    """The rule texts' language key for the current page: ``"en"`` or ``"zh"``."""
    return label_language()


def text(labels: Mapping[str, str] | None, language: str | None = None) -> str:
    """One label of a ``{"zh": ..., "en": ...}`` pair (falling back to the other)."""
    if not labels:
        return ""
    key = language or lang()
    return str(labels.get(key) or labels.get("zh") or labels.get("en") or "")


def points(value: Decimal | int | float) -> str:
    """A score as the published lists show it: two decimals, a sign where negative."""
    return f"{Decimal(value).quantize(Decimal('0.01'))}"


@dataclass(frozen=True)
class Line:
    """One line of an explanation: a variable (or a parameter it read) at some depth."""

    depth: int
    label: str
    value: str
    cite: str
    provisional: bool
    parameter: bool = False
    note: str = ""


def explanation_lines(explanation: Mapping[str, Any], language: str | None = None) -> list[Line]:
    """The explanation tree, depth first, each variable once (repeats are left out)."""
    key = language or lang()
    root = explanation.get("root")
    return list(_lines(root, 0, key)) if isinstance(root, dict) else []


def _lines(node: Mapping[str, Any], depth: int, key: str) -> Iterator[Line]:
    if node.get("repeated"):
        return
    if node.get("aggregated"):
        for member in node.get("members", ()):
            yield from _lines(member, depth, key)
        return
    citation = node.get("citation") or {}
    yield Line(
        depth=min(depth, MAX_DEPTH),
        label=text(node.get("label"), key),
        value=text(node.get("display"), key),
        cite=cite_text(citation, key),
        provisional=citation.get("confidence") in UNSURE,
        note=text(node.get("hint"), key),
    )
    for param in node.get("parameters", ()):
        where = param.get("jurisdiction") or {}
        place = text(where.get("name"), key) if where else ""
        unit = param.get("unit") or ""
        value = text(param.get("display"), key) + (f" {unit}" if unit else "")
        yield Line(
            depth=min(depth + 1, MAX_DEPTH),
            label=text(param.get("label"), key) + (f" [{place}]" if place else ""),
            value=value,
            cite=cite_text(param.get("source") or {}, key),
            provisional=param.get("confidence") in UNSURE,
            parameter=True,
            note=str(param.get("note") or ""),
        )
    for child in node.get("inputs", ()):
        yield from _lines(child, depth + 1, key)


def cite_text(cite: Mapping[str, Any], language: str | None = None) -> str:
    """A citation as people read it: the document's title (and number) and the article."""
    if not cite:
        return ""
    key = language or lang()
    title = str((cite.get("title_en") if key == "en" else None) or cite.get("title") or "")
    title = title or str(cite.get("document") or "")
    number = str(cite.get("number") or "")
    if number and number not in title:
        title = f"{title}（{number}）" if key == "zh" else f"{title} ({number})"
    article = str(cite.get("article") or "")
    return f"{title} {article}".strip()


def cite_label(cite: str, language: str | None = None) -> str:
    """A citation kept as a string (``"BJ16 积分指标（教育背景）"``, ``"MODEL 复核期限"``) as
    people read it: a key that names no published document (``MODEL``, the modelling
    assumptions) becomes that entry's title in ``documents.yaml`` (liudong 模型假设（非法律） /
    liudong modelling assumption (not law)); the keys of real documents stay as they are."""
    from liudong.rules.citations import documents

    key, _, article = cite.strip().partition(" ")
    found = documents().get(key)
    if found is None or found.confidence != "assumption":
        return cite
    return cite_text({**found.as_dict(), "article": article}, language)


def state_name(state: str, language: str | None = None) -> str:
    """A points application's workflow state (``"submitted"``) as people read it (已提交 /
    submitted); an unknown name is shown as it is."""
    from liudong.settlement.workflows import POINTS_APPLICATION

    return POINTS_APPLICATION.state_label(state, language or lang())


def step_name(name: str, target: str, language: str | None = None) -> str:
    """One step of a case's history: the state it led to (the opening: 已提交), or that the
    sweep escalated it."""
    if name == "escalate":
        return gettext("已逾期，已提醒上级")
    return state_name(target, language)


def fact_value(field: Any, value: object, language: str | None = None) -> str:
    """A declared, registered or verified fact as people read it: 是/否, the label of a
    choice, "—" where there is none; other values as they are (numbers, dates)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    for code, labels in getattr(field, "choices", ()) or ():
        if code == value:
            return text(labels, language)
    return str(value)


def tie_rule_name(rule: str) -> str:
    """The rule for equal scores at the cut-off, as people read it."""
    names = {
        "admit_all_tied": gettext("分数线上同分者全部获准（可超出指标）"),
        "exclude_tied": gettext("同分者全部获准会超出指标时，该分数的都不获准"),
    }
    return names.get(rule, rule)


def education_name(code: str, language: str | None = None) -> str:
    """An education level's code (``"bachelor"``) as people read it (本科)."""
    from liudong.settlement.schemes import EDUCATION_CHOICES

    for choice, labels in EDUCATION_CHOICES:
        if choice == code:
            return text(labels, language)
    return code
