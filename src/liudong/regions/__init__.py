"""GB/T 2260 administrative divisions and 7th-census city sizes, vendored.

Pure Python (stdlib, numpy, polars): shared by the rules engine, the synthetic
population and the platform. Data are read once from CSVs shipped in this package
and cached; the functions hand out copies or immutable values.

The division table (``gbt2260.csv``, provenance in ``SOURCES.md``)
--------------------------------------------------------------------
* One row per code and name period: ``valid_from``/``valid_to`` are years, both
  inclusive (a code abolished in 2010 and its successor both count as valid in 2010,
  as in python-stdnum). ``valid_to`` is null while current; ``valid_from`` is null when
  the source records no start (in force since before its earliest edition).
  A code can have several rows: a rename (500101 万县区 → 万州区) or a reuse (511400
  涪陵市 1995–1997, 眉山市 from 2000). Current rows are unique by code and match the
  official counts: 34 provincial, 333 prefecture-level, 2,845 county-level units.
* Levels follow the code: ``xx0000`` province, ``xxxx00`` prefecture, else county.
* **Municipalities** (11 北京, 12 天津, 31 上海, 50 重庆) have no prefecture level: the
  province row (110000) stands for the city, and its districts and counties have
  ``parent`` 110000. The statistical groupings some sources list as prefecture-level
  rows (110100 市辖区, 500200 县) are not divisions and are left out, as are the
  ``xxxx01`` 市辖区 rows of every city and the 省直辖县级行政单位 groups (429000,
  469000, 659000, ...). ``ancestors()`` and ``code_index()`` resolve such codes to the
  nearest real division by prefix (110100 → 110000, 130101 → 130100).
* County-level units directly under a province (429004 仙桃市, 469001 五指山市,
  659001 石河子市, 419001 济源市) have the province as ``parent``; their prefecture is None.
* A division's ``parent`` is always its nearest ancestor by prefix that is in the
  table, so ``ancestors()`` (prefix-based, also for unknown codes) and ``parent()``
  agree.

City sizes (``census2020.csv``)
-------------------------------
Urban-district (城区) resident population of the cities in the reference lists (7
super-large, 14 mega, 14 I-type large) plus 拉萨 (an upper bound), each with a CS14
``size_class``; see ``urban_population()``.

Examples
--------
>>> name(110105), province_of(110105), prefecture_of(440305)
('朝阳区', 110000, 440300)
>>> lut, codes = code_index()
>>> int(codes[lut[440399]])  # unknown district of 深圳 → 深圳
440300
"""

from liudong.regions._census import SIZE_CLASSES, SizeClass, size_class_of, urban_population
from liudong.regions._divisions import (
    CODE_SPACE,
    LEVELS,
    Level,
    ancestors,
    code_index,
    divisions,
    exists,
    level,
    name,
    parent,
    prefecture_of,
    province_of,
)

__all__ = [
    "CODE_SPACE",
    "LEVELS",
    "SIZE_CLASSES",
    "Level",
    "SizeClass",
    "ancestors",
    "code_index",
    "divisions",
    "exists",
    "level",
    "name",
    "parent",
    "prefecture_of",
    "province_of",
    "size_class_of",
    "urban_population",
]
