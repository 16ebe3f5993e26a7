"""Reproducible benchmarks of liudong against peers, run on the same data in the same run.

Run them with ``make bench`` (or ``uv run --group bench python -m benchmarks.run``); see
``benchmarks/README.md`` for what is measured.
"""
