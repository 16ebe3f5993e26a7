"""Self-check latency through the web page: the POST of /settlement/ for three cities.

    uv run python -m benchmarks.bench_selfcheck                  # 200 requests each
    uv run python -m benchmarks.bench_selfcheck --requests 50

Issue 5 target: the self-check answers in under 50 ms p95 through the web page. Each request
goes through Django's whole stack in this process (``django.test.Client``: every middleware,
CSRF, sessions, the view, the rules, the template); there is no network in between. The
request is a migrant worker's facts (Beijing 2020 measures, the scheme facts of Beijing and
Shanghai) answered for Beijing, Shanghai and Chengdu, as a person comparing cities sends it.

Measured, each after 10 warm-up requests, interleaved round-robin so a busy moment of the
shared machine falls on every variant alike:

1. **page**: the plain form POST (no JavaScript): the whole page, form and answer;
2. **htmx**: the same POST as htmx sends it on a change (``HX-Request``): the fragment only;
3. **api**: the peer without rendering: ``POST /api/settlement/check`` once per city (three
   JSON requests with the same facts, each answering one city with the explanation);
4. **rules**: the floor: ``schemes.city_answer`` for the three cities, no HTTP, no rendering.

Django's test-environment template instrumentation is not installed (it copies every
template context for the test client and would dominate the page's timing). The database is
a throw-away SQLite file created for the run (the self-check reads one table: published
cut-offs).

The run ends with one line::

    selfcheck requests=N page_p50_ms=A page_p95_ms=B htmx_p50_ms=C htmx_p95_ms=D
    api_p50_ms=E api_p95_ms=F rules_p50_ms=G rules_p95_ms=H target_met=yes|no
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["FACTS", "FORM", "main", "run"]

TARGET_P95_MS = 50.0
CITIES = (110000, 310000, 510100)
# A migrant worker born 1985 with ten years of Beijing social insurance, ten years in a rented
# home and a bachelor's degree (the self-check page tests use her too: tests/settlement).
FORM: dict[str, Any] = {
    "cities": ["beijing", "shanghai"],
    "other_cities": "成都",
    "hukou_region": "411502",
    "months_resident": "120",
    "has_stable_job": "on",
    "beijing__holds_residence_permit": "yes",
    "shanghai__holds_residence_permit": "no",
    "birth_date": "1985-05-01",
    "retirement_group": "men",
    "si_months_beijing": "120",
    "has_criminal_record": "no",
    "bj_residence_rent_months": "120",
    "education": "bachelor",
    "education_matched": "on",
}
FACTS: dict[str, Any] = {
    "hukou_region": 411502,
    "months_resident": 120,
    "has_stable_job": True,
    "has_stable_residence": False,
    "is_studying": False,
    "holds_residence_permit": True,
    "birth_date": "1985-05-01",
    "retirement_group": "men",
    "si_months_beijing": 120,
    "has_criminal_record": False,
    "bj_residence_rent_months": 120,
    "education": "bachelor",
    "education_matched": True,
}


def _setup() -> Callable[[], None]:
    """Django with a fresh SQLite test database; returns the teardown."""
    os.environ.setdefault("LIUDONG_MODE", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liudong.site.settings")
    import django
    from django.test.utils import setup_databases, teardown_databases

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    config = setup_databases(verbosity=0, interactive=False)
    return lambda: teardown_databases(config, verbosity=0)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def run(requests: int = 200, warmup: int = 10) -> dict[str, tuple[float, float]]:
    """p50 and p95 in milliseconds of each variant."""
    from django.test import Client
    from django.utils import timezone

    from liudong.settlement import schemes

    client = Client()
    on = timezone.localdate()
    api_body = [json.dumps({"region": code, "facts": FACTS}) for code in CITIES]
    rules_facts = {**FACTS, "birth_date": dt.date(1985, 5, 1)}

    def page() -> None:
        response = client.post("/settlement/", FORM)
        assert response.status_code == 200, response.status_code
        assert b'data-testid="score-beijing">70.00' in response.content

    def htmx() -> None:
        response = client.post("/settlement/", FORM, headers={"HX-Request": "true"})
        assert response.status_code == 200, response.status_code
        assert b'data-testid="score-beijing">70.00' in response.content

    def api() -> None:
        for body in api_body:
            response = client.post("/api/settlement/check", body, content_type="application/json")
            assert response.status_code == 200, response.content[:300]

    def rules() -> None:
        for code in CITIES:
            schemes.city_answer(code, rules_facts, on)

    variants = {"page": page, "htmx": htmx, "api": api, "rules": rules}
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(warmup):
        for call in variants.values():
            call()
    for _ in range(requests):
        for name, call in variants.items():
            start = time.perf_counter()
            call()
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: _percentiles(samples) for name, samples in times.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    teardown = _setup()
    try:
        found = run(args.requests)
    finally:
        teardown()
    print(f"{'variant':8} {'p50 ms':>8} {'p95 ms':>8}")
    for name, (p50, p95) in found.items():
        print(f"{name:8} {p50:8.2f} {p95:8.2f}")
    met = "yes" if found["page"][1] < TARGET_P95_MS and found["htmx"][1] < TARGET_P95_MS else "no"
    figures = " ".join(
        f"{name}_p50_ms={p50:.2f} {name}_p95_ms={p95:.2f}" for name, (p50, p95) in found.items()
    )
    print(f"selfcheck requests={args.requests} {figures} target_met={met}")


if __name__ == "__main__":
    main()
