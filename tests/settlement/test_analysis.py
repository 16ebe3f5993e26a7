"""Policy analysis of the points schemes: the figures add up, the cut honours the quota, a
reform that weighs social insurance more lets long-insured applicants in, and the analyst page
and ``liudong settlement simulate`` show them (refused to citizens)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from liudong import population
from liudong.rules import Reform
from liudong.settlement import analysis
from liudong.settlement.analysis_runs import REFORMS_DIR
from liudong.settlement.schemes import FactError

if TYPE_CHECKING:
    from pathlib import Path

    from django.test import Client

    from liudong.accounts.models import User

ON = dt.date(2024, 6, 1)
SI_REFORM = REFORMS_DIR / "beijing-si-residence-weight.json"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("applicants") / "population"
    population.generate(60_000, seed=3, out=out, applicants=True)
    return out


@pytest.fixture(scope="module")
def people(dataset: Path) -> analysis.Candidates:
    return analysis.load(dataset, "beijing", ON)


@pytest.fixture(scope="module")
def figures(people: analysis.Candidates) -> dict[str, Any]:
    run = analysis.simulate(people, 6000, Reform.from_json(SI_REFORM))
    return analysis.summary(run)


# ---------------------------------------------------------------- the population


def test_generated_applicant_columns_leave_the_base_columns_unchanged(tmp_path: Path) -> None:
    plain = population.generate(3_000, seed=5, out=tmp_path / "plain")
    extra = population.generate(3_000, seed=5, out=tmp_path / "extra", applicants=True)
    a, b = population.read(tmp_path / "plain"), population.read(tmp_path / "extra")
    assert b["person"].select(a["person"].columns).equals(a["person"])
    assert not plain.applicants
    assert extra.applicants
    assert "applicants=True" in extra.command
    assert {"has_residence_permit", "residence_kind", "applies"} <= set(b["person"].columns)


def test_every_applicant_figure_is_a_marked_assumption() -> None:
    from liudong.population import calibration as cal

    keys = [k for k in cal.TABLE if k.startswith("applicant.")]
    assert len(keys) >= 15
    assert all(cal.TABLE[k].basis == "assumption" for k in keys)


def test_only_non_locals_with_six_months_hold_a_residence_permit(dataset: Path) -> None:
    person = population.read(dataset)["person"]
    holders = person.filter(pl.col("has_residence_permit"))
    local = (holders["hukou_region"] // 10_000) == (holders["residence_region"] // 10_000)
    municipal = (holders["residence_region"] // 10_000).is_in([11, 12, 31, 50])
    assert not (local & municipal).any()
    assert (holders["months_resident"] >= 6).all()


# ---------------------------------------------------------------- counts add up


def test_eligible_and_ineligible_add_up_to_the_candidates(figures: dict[str, Any]) -> None:
    pop = figures["population"]
    assert pop["eligible"] + pop["ineligible"] == pop["candidates"]
    assert pop["applicants"] <= pop["eligible"] <= pop["candidates"] <= pop["residents"]
    assert pop["residents"] <= pop["persons"] == 60_000


def test_failing_preconditions_count_the_ineligible(
    people: analysis.Candidates, figures: dict[str, Any]
) -> None:
    rows = figures["baseline"]["preconditions"]
    assert [r["key"] for r in rows] == [
        "residence_permit",
        "below_retirement_age",
        "social_insurance",
        "no_criminal_record",
    ]
    failing = sum(r["failing"] for r in rows)
    ineligible = figures["population"]["ineligible"]
    assert max(r["failing"] for r in rows) <= ineligible <= failing
    assert all(r["failing_only_this"] <= r["failing"] for r in rows)


def test_histogram_counts_every_applicant_once(figures: dict[str, Any]) -> None:
    for outcome in (figures["baseline"], figures["reform"]):
        bins = outcome["histogram"]
        assert sum(b["applicants"] for b in bins) == outcome["applicants"]
        assert sum(b["admitted"] for b in bins) == outcome["admitted"]
        assert all(b["admitted"] <= b["applicants"] for b in bins)


def test_quota_is_scaled_to_the_synthetic_city(
    people: analysis.Candidates, figures: dict[str, Any]
) -> None:
    assert figures["places"] == max(1, round(6000 / people.weight))
    assert people.weight > 1


# ---------------------------------------------------------------- the cut


def test_cut_admits_at_least_the_quota_when_all_tied_are_admitted(
    people: analysis.Candidates,
) -> None:
    for places in (1, 5, 17):
        run = analysis.simulate(people, places, scale=False, tie_rule="admit_all_tied")
        admitted = run.baseline.cut.admitted
        applicants = int(run.baseline.applicant.sum())
        assert int(admitted.sum()) >= min(places, applicants)
        assert not (admitted & ~run.baseline.applicant).any()
        if run.baseline.cut.cutoff_centi is not None:
            scores = run.baseline.score_centi
            below = run.baseline.applicant & ~admitted
            assert (scores[below] < run.baseline.cut.cutoff_centi).all()


def test_entrants_and_leavers_by_group_add_up(figures: dict[str, Any]) -> None:
    movers = figures["movers"]
    admitted = figures["baseline"]["admitted"]
    assert movers["stayers"] + movers["leavers"] == admitted
    assert movers["stayers"] + movers["entrants"] == figures["reform"]["admitted"]
    for name in analysis.BREAKDOWNS:
        groups = movers["by"][name]
        assert sum(g["entrants"] for g in groups) == movers["entrants"]
        assert sum(g["leavers"] for g in groups) == movers["leavers"]
        assert sum(g["baseline"] for g in groups) == admitted
        assert all(g["net"] == g["entrants"] - g["leavers"] for g in groups)


# ---------------------------------------------------------------- a reform, as a property


def _table(si: list[int], age: list[int]) -> pl.DataFrame:
    n = len(si)
    return pl.DataFrame(
        {
            "holds_residence_permit": [True] * n,
            "birth_date": [dt.date(ON.year - a - 1, 1, 1) for a in age],
            "retirement_group": ["men"] * n,
            "si_months_beijing": si,
            "has_criminal_record": [False] * n,
            "bj_residence_rent_months": si,
            "education": ["bachelor"] * n,
            "applies": [True] * n,
            "age_band": ["x"] * n,
            "education_level": ["bachelor"] * n,
            "hukou_province": [410000] * n,
        }
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(st.integers(84, 400), st.integers(25, 55)), min_size=3, max_size=40),
    quota=st.integers(1, 10),
)
def test_more_weight_on_insurance_lets_the_longer_insured_in(
    rows: list[tuple[int, int]], quota: int
) -> None:
    """Whoever the reform admits in place of someone else has at least as many insured
    months as someone it drops, and the longest-insured never drops out."""
    si, age = [r[0] for r in rows], [r[1] for r in rows]
    people = analysis.Candidates("beijing", ON, _table(si, age), len(rows), len(rows), 1.0, ())
    run = analysis.simulate(people, quota, Reform.from_json(SI_REFORM), scale=False)
    assert run.reform is not None
    before, after = run.baseline.cut.admitted, run.reform.cut.admitted
    months = np.array(si)
    entrants, leavers = after & ~before, before & ~after
    if entrants.any() and leavers.any():
        assert months[entrants].max() >= months[leavers].min()
    longest = months == months.max()
    assert not (longest & leavers).any() or (months[leavers] == months.max()).all()


def test_the_si_reform_moves_long_insured_applicants_in(figures: dict[str, Any]) -> None:
    items = {i["key"]: i for i in figures["reform"]["items"]}
    base = {i["key"]: i for i in figures["baseline"]["items"]}
    assert items["job"]["mean_admitted"] >= base["job"]["mean_admitted"]


# ---------------------------------------------------------------- bad input


def test_a_reform_naming_an_unknown_parameter_is_refused(people: analysis.Candidates) -> None:
    bad = Reform.from_json({"name": "typo", "parameters": {"bj_points_per_si_yaer": {"": "4"}}})
    with pytest.raises(Exception, match="bj_points_per_si_yaer"):
        analysis.check_reform("beijing", ON, bad)


def test_a_quota_below_one_is_refused(people: analysis.Candidates) -> None:
    with pytest.raises(FactError, match="quota"):
        analysis.simulate(people, 0)


def test_a_folder_without_parts_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FactError, match="population"):
        analysis.load(tmp_path, "beijing", ON)


def test_charts_are_vega_lite_specs(figures: dict[str, Any]) -> None:
    specs = analysis.charts(figures, "en")
    assert {"histogram", "preconditions", "items", "movers_age_band"} <= set(specs)
    assert all("vega-lite" in s["$schema"] for s in specs.values())
    json.dumps(specs)  # JSON-able


# ---------------------------------------------------------------- CLI


def test_cli_simulate_prints_json_figures(dataset: Path) -> None:
    from liudong.cli import app

    result = CliRunner().invoke(
        app,
        [
            "settlement", "simulate", "--city", "beijing", "--population", str(dataset),
            "--reform", str(SI_REFORM), "--quota", "6000", "--on", "2024-06-01", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema"] == "liudong.settlement.simulation/1"
    assert data["movers"]["entrants"] >= 0
    assert (
        data["population"]["eligible"] + data["population"]["ineligible"]
        == (data["population"]["candidates"])
    )


def test_cli_simulate_names_a_bad_city(dataset: Path) -> None:
    from liudong.cli import app

    result = CliRunner().invoke(
        app, ["settlement", "simulate", "--city", "atlantis", "--population", str(dataset)]
    )
    assert result.exit_code == 2
    assert "beijing" in result.output


# ---------------------------------------------------------------- the page


@pytest.fixture
def small_population(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    settings.LIUDONG_ANALYSIS_DIR = tmp_path_factory.getbasetemp() / "analysis-pages"
    settings.LIUDONG_ANALYSIS_SMALL_PERSONS = 20_000


def _post(client: Client, **extra: Any) -> Any:
    data = {"city": "beijing", "on": "2024-06-01", "quota": "6000", "population": "small"}
    return client.post("/settlement/analysis/run/", {**data, **extra})


@pytest.mark.django_db
@pytest.mark.usefixtures("small_population")
def test_the_page_runs_an_analysis_for_a_caseworker(
    beijing_caseworker: User, client: Client
) -> None:
    from tests.personas import login

    login(client, beijing_caseworker)
    assert client.get("/settlement/analysis/").status_code == 200
    page = _post(client, reform="beijing-si-residence-weight")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="counts"' in text
    assert 'id="movers"' in text
    assert "analysis-charts" in text
    assert "vendor/vega/vega-embed.min.js" in text


@pytest.mark.django_db
@pytest.mark.usefixtures("small_population")
def test_an_uploaded_reform_with_formulas_is_refused(admin: User, client: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.personas import login

    login(client, admin)
    upload = SimpleUploadedFile(
        "r.json", b'{"name": "x", "formulas": {"bj_score": "os:getcwd"}}', "application/json"
    )
    page = _post(client, reform_file=upload)
    assert page.status_code == 422
    assert "公式" in page.content.decode()


@pytest.mark.django_db
@pytest.mark.usefixtures("small_population")
def test_a_large_population_runs_in_the_background(
    beijing_supervisor: User, client: Client, settings: Any
) -> None:
    from liudong.tasks import run_pending
    from tests.personas import login

    settings.LIUDONG_ANALYSIS_INLINE_PERSONS = 1_000
    login(client, beijing_supervisor)
    queued = _post(client)
    assert queued.status_code == 302
    waiting = client.get(queued["Location"])
    assert 'id="analysis-state"' in waiting.content.decode()
    run_pending()
    done = client.get(queued["Location"])
    assert done.status_code == 200
    assert 'id="counts"' in done.content.decode()


@pytest.mark.django_db
def test_citizens_are_refused(henan_migrant: User, client: Client) -> None:
    from liudong.audit.models import AuditEvent
    from tests.personas import login

    login(client, henan_migrant)
    before = AuditEvent.objects.filter(outcome="denied").count()
    assert client.get("/settlement/analysis/").status_code == 403
    assert AuditEvent.objects.filter(outcome="denied").count() == before + 1
