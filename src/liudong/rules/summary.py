"""Summaries of simulation results: counts and totals, and what a reform changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from liudong.rules.types import MONEY, Category

if TYPE_CHECKING:
    from liudong.rules.system import RuleSystem

__all__ = ["summarise"]


def summarise(system: RuleSystem, frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """One row per variable: rows, and the count (booleans), total and mean (numbers) or most
    frequent value (categories); with ``__baseline`` columns, the reform's changes too."""
    rows = []
    for frame in frames.values():
        for column in frame.columns[1:]:
            if column.endswith("__baseline"):
                continue
            var = system.variable(column)
            row = _describe(var.vtype, frame.get_column(column))
            row.update(variable=column, entity=var.entity.name, unit=var.unit)
            baseline = f"{column}__baseline"
            if baseline in frame.columns:
                before = frame.get_column(baseline)
                after = frame.get_column(column)
                row["changed_rows"] = int((before != after).sum())
                base = _describe(var.vtype, before)
                row["baseline_total"] = base["total"]
            rows.append(row)
    columns = [
        "variable",
        "entity",
        "rows",
        "total",
        "mean",
        "unit",
        "baseline_total",
        "changed_rows",
    ]
    table = pl.DataFrame(rows, infer_schema_length=None)
    present = [c for c in columns if c in table.columns]
    return table.select(present)


def _describe(vtype: object, series: pl.Series) -> dict[str, object]:
    n = series.len()
    if series.dtype == pl.Boolean:
        true = int(series.sum())
        return {"rows": n, "total": str(true), "mean": f"{true / n:.2%}" if n else "-"}
    if isinstance(vtype, Category):
        top = series.value_counts(sort=True).head(1)
        label = str(top.item(0, 0)) if top.height else "-"
        share = top.item(0, 1) / n if n else 0
        return {"rows": n, "total": f"{label} ({share:.1%})", "mean": "-"}
    if series.dtype.is_numeric():
        total = float(series.sum())
        if vtype is MONEY:
            return {
                "rows": n,
                "total": f"{total / 100:,.2f}",
                "mean": f"{total / max(n, 1) / 100:,.2f}",
            }
        mean = float(total) / n if n else 0.0
        return {"rows": n, "total": f"{total:,.0f}", "mean": f"{mean:,.3f}"}
    return {"rows": n, "total": "-", "mean": "-"}
