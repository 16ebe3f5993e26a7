"""The toy rules as an importable module with its parameters folder (for partition tasks)."""

from __future__ import annotations

from tests.rules.toy import toy_module

globals().update({k: v for k, v in vars(toy_module()).items() if not k.startswith("__")})
