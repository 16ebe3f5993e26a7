"""Replacement formulas used by reform tests (importable as module:function)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from liudong.rules import Column, Members


def size_plus_one(income: Members) -> Column:
    return income.count() + 1
