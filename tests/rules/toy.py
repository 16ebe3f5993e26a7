"""A small rule module for engine tests: not law, cited as a modelling assumption."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import numpy as np

from liudong.rules import (
    BOOL,
    FLOAT,
    HOUSEHOLD,
    INT,
    MONEY,
    PERSON,
    REGION,
    Category,
    Column,
    Members,
    Threshold,
    floor_div,
    input_variable,
    variable,
    where,
)

LEVEL = Category("toy_level", ("low", "mid", "high"))
CITE = "MODEL test rules"


def module(name: str, **members: Any) -> types.ModuleType:
    """A rule module made on the fly (RuleSystem accepts module objects)."""
    mod = types.ModuleType(name)
    mod.__dict__.update(members)
    return mod


def toy_module() -> types.ModuleType:
    place = input_variable(
        "place", HOUSEHOLD, REGION, label={"zh": "地点", "en": "place"}, unit="code", cite=CITE
    )
    income = input_variable(
        "income", PERSON, MONEY, label={"zh": "收入", "en": "income"}, unit="yuan", cite=CITE
    )
    age = input_variable(
        "age", PERSON, INT, label={"zh": "年龄", "en": "age"}, unit="years", cite=CITE
    )
    level = input_variable(
        "level", PERSON, LEVEL, label={"zh": "等级", "en": "level"}, unit="level", cite=CITE
    )

    @variable(
        HOUSEHOLD, MONEY, label={"zh": "总收入", "en": "total income"}, unit="yuan", cite=CITE
    )
    def total(income: Members) -> Column:
        return income.sum()

    @variable(HOUSEHOLD, INT, label={"zh": "人数", "en": "size"}, unit="persons", cite=CITE)
    def size(income: Members) -> Column:
        return income.count()

    @variable(
        HOUSEHOLD, MONEY, label={"zh": "人均", "en": "income per head"}, unit="yuan", cite=CITE
    )
    def per_head(total: Column, size: Column) -> Column:
        return floor_div(total, size)

    @variable(
        HOUSEHOLD,
        BOOL,
        label={"zh": "低于标准", "en": "below the line"},
        unit="yes/no",
        cite=CITE,
        hint=Threshold("per_head", "line"),
    )
    def below(total: Column, line: Column, size: Column) -> Column:
        return total < line * size

    @variable(HOUSEHOLD, MONEY, label={"zh": "补助", "en": "top-up"}, unit="yuan", cite=CITE)
    def topup(below: Column, line: Column, size: Column, total: Column) -> Column:
        return where(below, line * size - total, 0)

    @variable(
        PERSON, MONEY, label={"zh": "家庭补助", "en": "household top-up"}, unit="yuan", cite=CITE
    )
    def my_topup(topup: Column) -> Column:
        return topup

    @variable(PERSON, FLOAT, label={"zh": "分数", "en": "points"}, unit="points", cite=CITE)
    def points(level_points: Column, age_points: Column) -> Column:
        return level_points + age_points

    @variable(HOUSEHOLD, INT, label={"zh": "最大年龄", "en": "oldest"}, unit="years", cite=CITE)
    def oldest(age: Members) -> Column:
        return age.max()

    @variable(HOUSEHOLD, INT, label={"zh": "最小年龄", "en": "youngest"}, unit="years", cite=CITE)
    def youngest(age: Members) -> Column:
        return age.min()

    @variable(
        HOUSEHOLD, BOOL, label={"zh": "有儿童", "en": "has a child"}, unit="yes/no", cite=CITE
    )
    def has_child(age: Members) -> Column:
        return (age < 18).any()

    @variable(
        HOUSEHOLD, BOOL, label={"zh": "全为成人", "en": "all adults"}, unit="yes/no", cite=CITE
    )
    def all_adults(age: Members) -> Column:
        return (age >= 18).all()

    @variable(PERSON, INT, label={"zh": "距离", "en": "distance"}, unit="years", cite=CITE)
    def years_left(age: Column, as_of: np.datetime64) -> Column:
        return np.maximum(0, 60 - age) + 0 * as_of.astype(int)

    return module(
        "toy_rules",
        place=place,
        income=income,
        age=age,
        level=level,
        total=total,
        size=size,
        per_head=per_head,
        below=below,
        topup=topup,
        my_topup=my_topup,
        points=points,
        oldest=oldest,
        youngest=youngest,
        has_child=has_child,
        all_adults=all_adults,
        years_left=years_left,
    )


TOY_PARAMETERS = (Path(__file__).parent / "parameters" / "toy.yaml").read_text("utf-8")
