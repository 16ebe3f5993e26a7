"""Running a points-scheme analysis for the analyst page: which population, which reform,
inline or as a background task (``liudong.tasks``), and the audit of each run.

Populations (synthetic datasets with the applicant attributes) live under
``settings.LIUDONG_ANALYSIS_DIR`` (default ``DATA_DIR/analysis``):

- ``demo``: ``<dir>/population``, made by the operator with
  ``liudong population generate --applicants --persons 1000000 --out <dir>/population``;
- ``small``: ``<dir>/small-<N>-seed-1``, generated on first use with
  ``settings.LIUDONG_ANALYSIS_SMALL_PERSONS`` persons (default 200,000).

A run over more than ``settings.LIUDONG_ANALYSIS_INLINE_PERSONS`` persons (default 1,000,000:
about 2 s) goes to the task queue; smaller ones answer at once. Uploaded reforms may only
override parameters: a ``formulas`` entry would name Python code to import, which a page must
never let a user choose.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liudong import population as populations
from liudong.audit.events import record
from liudong.rules import Reform
from liudong.rules.errors import RulesError
from liudong.settlement import analysis, schemes
from liudong.site.actions import action
from liudong.site.errors import InvalidInputError, NotFoundError
from liudong.tasks import report_progress, task

if TYPE_CHECKING:
    from liudong.accounts.models import User

REFORMS_DIR: Final = Path(__file__).resolve().parent / "reforms"
MAX_REFORM_BYTES: Final = 64 * 1024
SEED: Final = 1
PopulationChoice = Literal["demo", "small"]


def invalid(field: str, problem: str, expected: str) -> InvalidInputError:
    """A bad input: what is wrong with ``field`` and what would be right."""
    return InvalidInputError(
        "invalid",
        _("%(problem)s；应为：%(expected)s") % {"problem": problem, "expected": expected},
        field,
    )


def base_dir() -> Path:
    return Path(getattr(settings, "LIUDONG_ANALYSIS_DIR", settings.DATA_DIR / "analysis"))


def small_persons() -> int:
    return int(getattr(settings, "LIUDONG_ANALYSIS_SMALL_PERSONS", 200_000))


def inline_persons() -> int:
    return int(getattr(settings, "LIUDONG_ANALYSIS_INLINE_PERSONS", 1_000_000))


def population_path(choice: PopulationChoice) -> Path:
    if choice == "demo":
        return base_dir() / "population"
    return base_dir() / f"small-{small_persons()}-seed-{SEED}"


def demo_available() -> bool:
    return (population_path("demo") / "manifest.json").is_file()


def ensure_population(choice: PopulationChoice) -> Path:
    """The dataset folder of ``choice``; the small one is generated (once) if missing."""
    path = population_path(choice)
    if (path / "manifest.json").is_file():
        return path
    if choice == "demo":
        raise invalid(
            "population",
            _("演示人口数据集不存在"),
            _("先运行 liudong population generate --applicants --out %(path)s，或选择小规模人口")
            % {"path": path},
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".small-", dir=path.parent))
    try:
        populations.generate(small_persons(), SEED, work, applicants=True)
        try:
            work.rename(path)  # atomic: a concurrent request finds a whole dataset or none
        except OSError:
            if not (path / "manifest.json").is_file():
                raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return path


def persons_in(path: Path) -> int:
    return populations.read_manifest(path).persons


@dataclass(frozen=True)
class ShippedReform:
    slug: str
    name: str
    description: str


def shipped_reforms() -> list[ShippedReform]:
    """The example reforms under ``liudong/settlement/reforms/``."""
    found = []
    for file in sorted(REFORMS_DIR.glob("*.json")):
        data = json.loads(file.read_text("utf-8"))
        found.append(ShippedReform(file.stem, str(data["name"]), str(data.get("description", ""))))
    return found


def shipped_reform(slug: str) -> dict[str, Any]:
    names = {r.slug for r in shipped_reforms()}
    if slug not in names:
        raise invalid(
            "reform", _("没有这个改革方案"), _("以下之一：%(names)s") % {"names": ", ".join(names)}
        )
    data: dict[str, Any] = json.loads((REFORMS_DIR / f"{slug}.json").read_text("utf-8"))
    return data


def parse_uploaded_reform(raw: bytes) -> dict[str, Any]:
    """An uploaded reform file as data: JSON, an object, parameters only, at most 64 KB."""
    if len(raw) > MAX_REFORM_BYTES:
        raise invalid("reform_file", _("文件过大"), _("不超过 %(kb)d KB 的 JSON 文件") % {"kb": 64})
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid(
            "reform_file", _("不是有效的 JSON：%(error)s") % {"error": exc}, _("UTF-8 编码的 JSON")
        ) from None
    if not isinstance(data, dict):
        raise invalid(
            "reform_file",
            _("JSON 顶层不是对象"),
            _('形如 {"name": ..., "parameters": {...}} 的对象'),
        )
    if data.get("formulas"):
        raise invalid(
            "reform_file",
            _("上传的改革方案不能替换公式"),
            _("只含 name、description 和 parameters 的改革方案"),
        )
    return data


def reform_of(data: dict[str, Any] | None, key: str, on: dt.date) -> Reform | None:
    """Build and check a reform against the scheme on the date (names and values)."""
    if data is None:
        return None
    try:
        reform = Reform.from_json({k: v for k, v in data.items() if k != "formulas"})
        analysis.check_reform(key, on, reform)
    except (RulesError, schemes.FactError) as exc:
        raise invalid("reform", str(exc), _("只改动该城市积分参数的改革方案")) from None
    return reform


@dataclass(frozen=True)
class Request:
    """What the analyst asked for, as JSON-able data (the task's argument)."""

    city: str
    on: dt.date
    quota: int
    population: PopulationChoice
    reform: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {
            "city": self.city,
            "on": self.on.isoformat(),
            "quota": self.quota,
            "population": self.population,
            "reform": self.reform,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Request:
        return cls(
            city=str(data["city"]),
            on=dt.date.fromisoformat(str(data["on"])),
            quota=int(data["quota"]),
            population="demo" if data["population"] == "demo" else "small",
            reform=data.get("reform"),
        )


def compute(request: Request) -> dict[str, Any]:
    """Run the analysis now and return its figures with the chart specifications."""
    path = ensure_population(request.population)
    report_progress(1, 3, message="loading the population")
    reform = reform_of(request.reform, request.city, request.on)
    people = analysis.load(path, request.city, request.on)
    report_progress(2, 3, message="scoring and ranking")
    try:
        run = analysis.simulate(people, request.quota, reform)
    except schemes.FactError as exc:
        raise invalid(exc.field, exc.problem, exc.expected) from None
    data = analysis.summary(run)
    data["request"] = request.to_json()
    report_progress(3, 3, message="done")
    return data


@task(label=gettext_lazy("政策分析"))
def run_analysis(request: dict[str, Any]) -> dict[str, Any]:
    """The background form of :func:`compute` (its return value is the figures)."""
    return compute(Request.from_json(request))


@dataclass(frozen=True)
class Started:
    """An analysis either answered (``figures``) or queued (``task_id``)."""

    figures: dict[str, Any] | None
    task_id: str | None


@action("settlement.run_analysis")
def do_run_analysis(actor: User | None, request: Request) -> Started:
    """Run (or queue) one analysis and audit it: synthetic data only, no personal record."""
    path = ensure_population(request.population)
    reform_of(request.reform, request.city, request.on)  # a bad reform fails here, at once
    detail = {
        "city": request.city,
        "on": request.on.isoformat(),
        "quota": request.quota,
        "population": request.population,
        "reform": (request.reform or {}).get("name"),
    }
    if persons_in(path) > inline_persons():
        result = run_analysis.enqueue(request.to_json())
        record(actor, "settlement.run_analysis", detail={**detail, "task": str(result.id)})
        return Started(None, str(result.id))
    record(actor, "settlement.run_analysis", detail=detail)
    return Started(compute(request), None)


def finished_figures(task_id: str) -> tuple[str, dict[str, Any] | None]:
    """(state, figures when it succeeded) of a queued analysis."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    row = DBTaskResult.objects.filter(pk=task_id, task_path=run_analysis.module_path).first()
    if row is None:
        raise NotFoundError(_("没有这个分析任务"))
    value = row.return_value if row.status == TaskResultStatus.SUCCESSFUL else None
    return str(row.status), value if isinstance(value, dict) else None
