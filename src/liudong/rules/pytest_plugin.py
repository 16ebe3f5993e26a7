"""pytest plugin: collect rule cases from ``cases/*.yaml`` under the test folders.

Enable it in a conftest with ``pytest_plugins = ["liudong.rules.pytest_plugin"]``. Each case is
one test item; a failure names the file, the case and each variable that differs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from liudong.rules.cases import RuleCase, RuleCaseError, load_cases
from liudong.rules.system import default_system

if TYPE_CHECKING:
    from pathlib import Path


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent.name == "cases":
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    def collect(self) -> Any:
        for case in load_cases(self.path, default_system()):
            yield CaseItem.from_parent(self, name=case.name, case=case)


class CaseItem(pytest.Item):
    def __init__(self, *, case: RuleCase, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        self.case.run(default_system())

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RuleCaseError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"rule case: {self.name}"
