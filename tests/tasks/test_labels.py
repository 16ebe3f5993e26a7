"""What people call a task: the label declared with ``@task(label=...)`` (a periodic run: its
job's label), in the page's language, on /tasks/, its detail page, the API and the CLI; a task
declared without one is shown by its function name."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.utils.translation import gettext_lazy
from typer.testing import CliRunner

from liudong.cli import app
from liudong.tasks import run_pending, task
from liudong.tasks.decorators import LABELS, REGISTRY, label_of
from liudong.tasks.schedule import jobs
from liudong.tasks.tasks import run_periodic
from tests.apiclient import Api
from tests.personas import login
from tests.tasks.jobs import count_to

if TYPE_CHECKING:
    from tests.personas import World

pytestmark = pytest.mark.django_db


@task(label=gettext_lazy("生成证明"))
def labelled(n: int) -> int:
    return n


def test_every_task_of_the_apps_and_every_builtin_periodic_job_has_a_label() -> None:
    jobs()  # imports every app's tasks module
    for path in (
        "liudong.certificates.tasks.generate_certificate",
        "liudong.settlement.tasks.rank_round",
        "liudong.settlement.analysis_runs.run_analysis",
        "liudong.people.imports.apply_import",
        "liudong.tasks.tasks.run_periodic",
    ):
        assert label_of(path), path
    assert all(job.label for job in jobs().values())
    unlabelled = [p for p in REGISTRY if p.startswith("liudong.") and p not in LABELS]
    assert unlabelled == []


def test_the_pages_show_the_label_in_the_page_language_else_the_name(world: World) -> None:
    named = labelled.enqueue(1).id
    plain = count_to.enqueue(2).id
    periodic = run_periodic.enqueue("tasks.prune").id
    run_pending()
    client = login(Client(), world.beijing_caseworker)
    page = client.get("/tasks/").content.decode()
    assert f'/tasks/{named}/">生成证明</a>' in page
    assert f'/tasks/{plain}/">count_to</a>' in page
    assert f'/tasks/{periodic}/">清理已结束的任务</a>' in page
    english = client.get("/tasks/", headers={"Accept-Language": "en"}).content.decode()
    assert f'/tasks/{named}/">Generate a certificate</a>' in english
    assert f'/tasks/{periodic}/">Prune finished tasks</a>' in english
    detail = client.get(f"/tasks/{named}/", headers={"Accept-Language": "en"}).content.decode()
    assert "<h1>Generate a certificate</h1>" in detail
    assert "<code>labelled</code>" in detail  # the function stays visible to whoever needs it


def test_the_api_and_the_cli_give_the_label(world: World) -> None:
    named = labelled.enqueue(1).id
    run_pending()
    answer = Api(world.beijing_caseworker).get(f"/tasks/{named}").json()
    assert (answer["name"], answer["label"]) == ("labelled", "生成证明")
    shown = CliRunner().invoke(app, ["tasks", "show", str(named)])
    assert shown.exit_code == 0, shown.output
    assert "生成证明" in shown.output
    assert "task: labelled" in shown.output
