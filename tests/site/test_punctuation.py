"""Punctuation comes with the language: list and clause separators and parentheses from the
catalogue (liudong.site.text), whole phrases translated with their colons, so an English page
shows no Chinese punctuation outside data values (the Chinese articles of a citation). Also
the site icon, and a modelling assumption cited by its title rather than its key."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import translation

from liudong.settlement.views_display import cite_label
from liudong.site.text import join_clauses, join_list, parenthesized
from tests.settlement.rounds_helpers import at
from tests.settlement.test_pages import CHECKED_ON, beijing_2020

CHINESE_PUNCTUATION = re.compile("[（）；、：]")


def test_the_helpers_join_in_the_active_language() -> None:
    with translation.override("zh-hans"):
        assert join_list(["成都", "重庆", 510100]) == "成都、重庆、510100"
        assert join_clauses(["单位：月", "", "依据：BJ20"]) == "单位：月；依据：BJ20"
        assert "成都" + parenthesized(510100) == "成都（510100）"
    with translation.override("en"):
        assert join_list(["Chengdu", "Chongqing"]) == "Chengdu, Chongqing"
        assert join_clauses(["Unit: months", "", "Source: BJ20"]) == "Unit: months; Source: BJ20"
        assert "Chengdu" + parenthesized(510100) == "Chengdu (510100)"
        assert join_list([]) == ""


def outside_data(page: str) -> str:
    """The page's main part without its citations (their articles are quoted in Chinese)."""
    main = page[page.index("<main") :]
    main = re.sub(r'<(span|td|p)[^>]*class="cite[^"]*"[^>]*>.*?</\1>', "", main, flags=re.S)
    return re.sub(r"Source: [^<]*", "", main)


@pytest.mark.django_db
def test_an_english_self_check_result_has_no_chinese_punctuation_outside_data() -> None:
    english = {"Accept-Language": "en"}
    with time_machine.travel(at(CHECKED_ON), tick=False):
        page = Client().post("/settlement/", beijing_2020(), headers=english).content.decode()
        wrong = (
            Client()
            .post("/settlement/", beijing_2020(birth_date="1985-13-40"), headers=english)
            .content.decode()
        )
    assert 'data-testid="score-beijing">70.00' in page
    assert "; Source: " in page  # a field's help: unit and source, joined in English
    assert ": <strong>+" in page  # what would raise the score: "label: +gain points"
    found = CHINESE_PUNCTUATION.findall(outside_data(page))
    assert found == []
    assert 'id="form-errors"' in wrong
    assert CHINESE_PUNCTUATION.findall(outside_data(wrong)) == []
    with time_machine.travel(at(CHECKED_ON), tick=False):
        chinese = Client().post("/settlement/", beijing_2020()).content.decode()
    assert "；依据：" in chinese  # the Chinese page keeps its own punctuation


def test_a_modelling_assumption_is_cited_by_its_title_not_its_key() -> None:
    cite = "MODEL 复核期限（北京操作细则未见原文）"
    assert cite_label(cite, "en") == (
        "liudong modelling assumption (not law) 复核期限（北京操作细则未见原文）"
    )
    assert cite_label(cite, "zh").startswith("liudong 模型假设（非法律） 复核期限")
    assert cite_label("BJ20 积分指标（年龄）", "en") == "BJ20 积分指标（年龄）"


@pytest.mark.django_db
def test_every_page_links_the_icon_and_favicon_ico_redirects_to_it() -> None:
    page = Client().get("/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert icon
    assert icon.group(1).endswith("liudong/favicon.svg")
    answer = Client().get("/favicon.ico")
    assert answer.status_code == 302
    assert answer["Location"] == icon.group(1)
    found = finders.find("liudong/favicon.svg")
    assert found
    with open(found, encoding="utf-8") as svg:
        assert svg.read().startswith("<svg ")
