"""Forms of the settlement pages. The self-check form is built from the schemes' declared
facts (``Scheme.fields``): each becomes a form field with its label, unit, help and
citation, grouped by the cities that ask for it. Forms check shapes (a number is a number, a
city exists); the rules and the actions check meaning, and their errors are put back on the
field they name."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

import polars as pl
from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liudong import regions
from liudong.settlement import schemes
from liudong.settlement.views_display import cite_label, lang, text
from liudong.site.text import join_clauses, join_list, parenthesized

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Mapping, Sequence

    from django.forms.boundfield import BoundField

# ---------------------------------------------------------------------------------------------
# Cities: what a person types (a code or a name) → the city's GB/T 2260 code.

MUNICIPALITIES = frozenset({110000, 120000, 310000, 500000})
_SUFFIXES = ("特别行政区", "自治州", "地区", "盟", "市")
_CODE = re.compile(r"^\d{6}$")
_SEPARATORS = re.compile(r"[,，、;；\s]+")
MAX_OTHER_CITIES = 6


class CityNotFoundError(ValueError):
    """What was typed names no city; ``candidates`` are the cities it could mean."""

    def __init__(self, typed: str, candidates: tuple[int, ...] = ()) -> None:
        super().__init__(typed)
        self.typed = typed
        self.candidates = candidates


def city_of(code: int) -> int | None:
    """The city a division lies in: a municipality, a prefecture-level city, or a
    county-level city itself; None for a province that is not a municipality."""
    if not regions.exists(code):
        return None
    province = regions.province_of(code)
    if province in MUNICIPALITIES:
        return province
    if regions.level(code) == "province":
        return None
    if regions.level(code) == "county" and regions.name(code).endswith("市"):
        return code
    return regions.prefecture_of(code) or code


def _short(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@functools.cache
def _city_names() -> Mapping[str, tuple[int, ...]]:
    """Current names (full, short, pinyin) of cities and districts → the cities they name."""
    found: dict[str, dict[int, None]] = {}
    current = regions.divisions().filter(pl.col("valid_to").is_null())
    for code, name, spelled in current.select("code", "name", "pinyin").iter_rows():
        city = city_of(int(code))
        if city is None:
            continue
        keys = {name, _short(name)}
        if spelled:
            keys |= {spelled, spelled.removesuffix("shi")}
        for key in keys:
            found.setdefault(key, {})[city] = None
    return MappingProxyType({key: tuple(codes) for key, codes in found.items()})


def find_city(typed: str) -> int:
    """The city's code for a code or a name; raises :class:`CityNotFoundError`."""
    cleaned = typed.strip().lower()
    if _CODE.match(cleaned):
        city = city_of(int(cleaned))
        if city is None:
            raise CityNotFoundError(cleaned)
        return city
    names = _city_names()
    cities = names.get(cleaned) or names.get(_short(cleaned)) or ()
    if len(cities) != 1:
        raise CityNotFoundError(typed.strip(), cities)
    return cities[0]


def city_name(code: int) -> str:
    return regions.name(code) if regions.exists(code) else str(code)


def _city_problem(error: CityNotFoundError) -> str:
    if error.candidates:
        options = join_list(city_name(c) + parenthesized(c) for c in error.candidates[:6])
        return _("“%(typed)s”可能是几个城市：%(options)s。请填写行政区划代码。") % {
            "typed": error.typed,
            "options": options,
        }
    return _(
        "没有找到城市“%(typed)s”。请填写城市名称（如“成都”）或6位行政区划代码（如510100）。"
    ) % {"typed": error.typed}


# ---------------------------------------------------------------------------------------------
# The self-check form.

# Facts about the person's situation in the city considered (``schemes.city_answer``).
CITY_FACT_NAMES = ("hukou_region", *schemes.CITY_FACTS[1:])
YES, NO = "yes", "no"


@dataclass(frozen=True)
class Group:
    """A heading and the form fields under it (bound fields, in declaration order)."""

    key: str
    title: str
    fields: list[BoundField]
    open: bool = True

    @property
    def controls(self) -> list[SafeString]:
        return [control(bound) for bound in self.fields]


@dataclass(frozen=True)
class FactField:
    """One declared fact as a form field: ``form_name`` is ``name`` or, for a fact the scheme
    declares ``city_specific`` ("holds this city's residence permit"), ``<scheme>__<name>``,
    asked once per city; ``schemes`` are the schemes that ask for it."""

    form_name: str
    field: schemes.Field
    schemes: tuple[str, ...]


@functools.cache
def declared_facts(on: dt.date) -> tuple[FactField, ...]:
    """Every fact a scheme asks for under the versions in force on ``on``, once (the first
    declaration wins; per-city facts once per scheme), in declaration order."""
    found: dict[str, tuple[schemes.Field, list[str]]] = {}
    for key, scheme in schemes.SCHEMES.items():
        for fact in scheme.fields_on(on):
            if fact.name in CITY_FACT_NAMES:  # asked once under "your situation"
                continue
            name = f"{key}__{fact.name}" if fact.city_specific else fact.name
            found.setdefault(name, (fact, []))[1].append(key)
    return tuple(FactField(name, fact, tuple(keys)) for name, (fact, keys) in found.items())


def _help(fact: schemes.Field, language: str) -> str:
    parts = [text(fact.help, language)] if fact.help else []
    if fact.kind in {"int", "decimal"} and fact.unit:
        parts.append(_("单位：%(unit)s") % {"unit": unit_label(fact.unit)})
    if fact.cite:
        parts.append(_("依据：%(cite)s") % {"cite": cite_label(fact.cite)})
    return join_clauses(parts)


def unit_label(unit: str) -> str:
    """A unit name of the rules as the page says it."""
    labels = {
        "months": _("月"),
        "years": _("年"),
        "records": _("次"),
        "grade": _("级"),
        "yuan": _("元"),
    }
    return str(labels.get(unit, unit))


def form_field(fact: schemes.Field, language: str) -> forms.Field:
    """The Django form field for one declared fact. Every fact field is optional to the
    form: which are required depends on the cities chosen (checked in ``clean``)."""
    options: dict[str, Any] = {
        "label": text(fact.label, language),
        "help_text": _help(fact, language),
        "required": False,
    }
    if fact.kind == "int":
        attrs = {"inputmode": "numeric"}
        if fact.minimum is not None:
            attrs["min"] = str(fact.minimum)
        if fact.maximum is not None:
            attrs["max"] = str(fact.maximum)
        return forms.IntegerField(
            min_value=fact.minimum,
            max_value=fact.maximum,
            initial=fact.default,
            widget=forms.NumberInput(attrs=attrs),
            **options,
        )
    if fact.kind == "decimal":
        return forms.DecimalField(
            min_value=Decimal(0),
            max_digits=14,
            decimal_places=2,
            initial=fact.default,
            widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}),
            **options,
        )
    if fact.kind == "bool" and fact.default is not None:
        return forms.BooleanField(initial=fact.default, **options)
    if fact.kind == "bool":  # a fact without a default must be answered: yes or no
        return forms.TypedChoiceField(
            choices=[(YES, _("是")), (NO, _("否"))],
            coerce=lambda value: value == YES,
            empty_value=None,
            widget=forms.RadioSelect,
            **options,
        )
    if fact.kind == "date":
        return forms.DateField(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **options
        )
    choices = [(code, text(labels, language)) for code, labels in fact.choices]
    if fact.default is None:
        choices = [("", _("请选择")), *choices]
    return forms.ChoiceField(choices=choices, initial=fact.default, **options)


def _city_facts_fields() -> dict[str, forms.Field]:
    return {
        "hukou_region": forms.CharField(
            label=_("户籍所在地"),
            max_length=40,
            help_text=_("户口登记的城市或区县：名称或6位行政区划代码，例如：信阳、411502"),
            widget=forms.TextInput(attrs={"autocomplete": "off"}),
        ),
        "months_resident": forms.IntegerField(
            label=_("已在要落户的城市连续居住（月）"),
            min_value=0,
            max_value=1200,
            initial=0,
            required=False,
            help_text=_(
                "用于判断能否申领居住证：居住半年以上，并有合法稳定就业、住所或连续就读。"
                "依据：RP15 第二条"
            ),
            widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": "0"}),
        ),
        "has_stable_job": forms.BooleanField(label=_("在那里有合法稳定就业"), required=False),
        "has_stable_residence": forms.BooleanField(
            label=_("在那里有合法稳定住所（含租赁）"), required=False
        ),
        "is_studying": forms.BooleanField(label=_("在那里连续就读"), required=False),
    }


class SelfCheckForm(forms.Form):
    """Which cities, and the facts their rules need. After ``is_valid()``: ``regions`` are
    the cities to answer for (codes), ``city_facts()`` the facts for ``city_answer``."""

    cities = forms.MultipleChoiceField(
        label=gettext_lazy("积分落户城市"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_cities = forms.CharField(
        label=gettext_lazy("其他城市"),
        required=False,
        max_length=200,
        help_text=gettext_lazy(
            "城市名称或6位行政区划代码，多个用逗号分开，例如：成都, 440300（最多6个）"
        ),
    )

    def __init__(self, *args: Any, on: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on = on
        language = lang()
        cities = cast("forms.MultipleChoiceField", self.fields["cities"])
        cities.choices = [
            (key, text(scheme.name, language)) for key, scheme in schemes.SCHEMES.items()
        ]
        cities.initial = list(schemes.SCHEMES)
        self.fields.update(_city_facts_fields())
        self.facts_declared = declared_facts(on)
        for declared in self.facts_declared:
            self.fields[declared.form_name] = form_field(declared.field, language)
        self.regions: list[int] = []

    def clean_other_cities(self) -> list[int]:
        typed = [t for t in _SEPARATORS.split(self.cleaned_data.get("other_cities") or "") if t]
        if len(typed) > MAX_OTHER_CITIES:
            raise forms.ValidationError(
                _("最多再比较%(n)d个城市，您填了%(m)d个。")
                % {"n": MAX_OTHER_CITIES, "m": len(typed)},
                code="too_many",
            )
        found: list[int] = []
        for one in typed:
            try:
                found.append(find_city(one))
            except CityNotFoundError as error:
                raise forms.ValidationError(_city_problem(error), code="unknown_city") from None
        return found

    def clean_hukou_region(self) -> int:
        typed = self.cleaned_data.get("hukou_region") or ""
        cleaned = typed.strip()
        if _CODE.match(cleaned) and regions.exists(int(cleaned)):
            return int(cleaned)
        try:
            return find_city(cleaned)
        except CityNotFoundError as error:
            raise forms.ValidationError(_city_problem(error), code="unknown_city") from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = [schemes.SCHEMES[key].region for key in data.get("cities") or ()]
        others = data.get("other_cities") or []
        if "cities" in data and "other_cities" in data and not chosen and not others:
            self.add_error("cities", _("请至少选择一个城市，或在“其他城市”中填写一个。"))
        self.regions = list(dict.fromkeys([*chosen, *others]))
        for key in self.scheme_keys():
            self._require(key)
        return data

    def scheme_keys(self) -> list[str]:
        """The schemes of the cities asked about, in the order asked."""
        found = (schemes.scheme_for_region(code) for code in self.regions)
        return list(dict.fromkeys(s.key for s in found if s is not None))

    def _require(self, key: str) -> None:
        name = text(schemes.SCHEMES[key].name)
        for declared in self.facts_declared:
            if key not in declared.schemes or not declared.field.required:
                continue
            if declared.form_name in self.errors:
                continue
            if self.cleaned_data.get(declared.form_name) in (None, ""):
                self.add_error(
                    declared.form_name,
                    _("计算%(scheme)s需要这一项，请填写。") % {"scheme": name},
                )

    def scheme_facts(self, key: str) -> dict[str, object]:
        """The facts of one scheme, by the rules' names (blank ones left to the defaults)."""
        facts: dict[str, object] = {}
        for declared in self.facts_declared:
            if key not in declared.schemes:
                continue
            value = self.cleaned_data.get(declared.form_name)
            if value not in (None, ""):
                facts[declared.field.name] = value
        return facts

    def city_facts(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "hukou_region": data["hukou_region"],
            "months_resident": data.get("months_resident") or 0,
            "has_stable_job": bool(data.get("has_stable_job")),
            "has_stable_residence": bool(data.get("has_stable_residence")),
            "is_studying": bool(data.get("is_studying")),
        }

    def groups(self) -> list[Group]:
        """The fields under headings: your situation, then facts several cities ask for,
        then each city's own (open; each can be folded away)."""
        language = lang()
        situation = [self[name] for name in CITY_FACT_NAMES]
        shared: list[BoundField] = []
        own: dict[str, list[BoundField]] = {key: [] for key in schemes.SCHEMES}
        for declared in self.facts_declared:
            bound = self[declared.form_name]
            if len(declared.schemes) > 1:
                shared.append(bound)
            else:
                own[declared.schemes[0]].append(bound)
        groups = [Group("situation", _("您的情况"), situation)]
        if shared:
            groups.append(Group("shared", _("积分城市共用的信息"), shared))
        for key, fields in own.items():
            if fields:
                name = text(schemes.SCHEMES[key].name, language)
                groups.append(Group(key, _("%(scheme)s的指标") % {"scheme": name}, fields))
        return groups

    def put_error(self, field: str | None, message: str, scheme: str = "") -> None:
        """An error from the rules, on the form field it names (else on the form)."""
        names = [f"{scheme}__{field}", field] if field else []
        target = next((n for n in names if n in self.fields), None)
        self.add_error(target, message)


# ---------------------------------------------------------------------------------------------
# Applying, reviews, objections, the receipt check.


DISTRICT = "residence_district"  # the apply form's question: where she lives in the city


class ApplyForm(forms.Form):
    """The facts of one round's scheme (under the version the round assesses at), each field
    named as the rules name it."""

    def __init__(
        self,
        *args: Any,
        scheme: schemes.Scheme,
        on: dt.date,
        districts: Sequence[tuple[int, str]] = (),
        **kwargs: Any,
    ) -> None:
        """``districts``: the county-level divisions of the round's city (code, name), asked
        as where she lives, which decides the office that handles her case."""
        super().__init__(*args, **kwargs)
        self.scheme = scheme
        language = lang()
        for fact in scheme.fields_on(on):
            self.fields[fact.name] = form_field(fact, language)
            self.fields[fact.name].required = fact.required
        if districts:
            self.fields[DISTRICT] = forms.TypedChoiceField(
                label=_("现居住的区（县）"),
                choices=[("", _("请选择")), *((str(c), n) for c, n in districts)],
                coerce=int,
                empty_value=None,
                required=False,
                help_text=_(
                    "您的申请由居住地所在区的经办机构审核；不选则按居住证登记的区，"
                    "没有登记的按户籍或就业单位所在区"
                ),
            )

    def facts(self) -> dict[str, object]:
        """The answered facts (blank optional ones left to the scheme's defaults)."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value is not None and value != "" and name != DISTRICT
        }

    def residence_district(self) -> int | None:
        """The district she chose (None: none chosen, the registry's is used)."""
        value = self.cleaned_data.get(DISTRICT)
        return value if isinstance(value, int) else None

    def put_error(self, field: str | None, message: str) -> None:
        name = (field or "").removeprefix("facts.")
        self.add_error(name if name in self.fields else None, message)


class GroundsForm(forms.Form):
    grounds = forms.CharField(
        label=gettext_lazy("理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("写明哪一项有误、正确的情况是什么、有什么证明"),
    )


class ObjectionForm(forms.Form):
    entry = forms.CharField(
        label=gettext_lazy("针对的条目编号（可不填）"),
        required=False,
        max_length=32,
        help_text=gettext_lazy("名单中“编号”一栏的内容；不填表示对整份名单提出异议"),
    )
    grounds = forms.CharField(
        label=gettext_lazy("异议理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("请写明事实和依据。您的姓名和身份只有经办机构知道，不会公开。"),
    )


class SecretForm(forms.Form):
    secret = forms.CharField(
        label=gettext_lazy("回执密钥"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=gettext_lazy("申请时显示、由您保存的那串字母和数字"),
    )


class VerifyReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=gettext_lazy("回执（JSON）"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=gettext_lazy("把下载的回执文件内容整个粘贴到这里"),
    )
    secret = forms.CharField(
        label=gettext_lazy("回执密钥"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_receipt(self) -> dict[str, Any]:
        import json

        try:
            found = json.loads(self.cleaned_data["receipt"])
        except ValueError:
            raise forms.ValidationError(
                _("这不是完整的回执：请粘贴下载的回执文件的全部内容（以 { 开头，以 } 结尾）"),
                code="malformed",
            ) from None
        if not isinstance(found, dict):
            raise forms.ValidationError(_("回执应是一个 JSON 对象"), code="malformed")
        return found


# ---------------------------------------------------------------------------------------------
# Staff forms.

_TRUE = frozenset({"yes", "y", "true", "1", "是", "有"})
_FALSE = frozenset({"no", "n", "false", "0", "否", "无", "没有"})


def typed_value(fact: schemes.Field, raw: str) -> object:
    """A value typed on a staff form, as the actions take it (they check it further)."""
    cleaned = raw.strip()
    if fact.kind == "bool":
        if cleaned.lower() in _TRUE:
            return True
        if cleaned.lower() in _FALSE:
            return False
        raise forms.ValidationError(_("请填写“是”或“否”"), code="invalid_bool")
    if fact.kind == "choice":
        labels = {text(labels, "zh"): code for code, labels in fact.choices}
        labels.update({text(labels, "en").lower(): code for code, labels in fact.choices})
        return labels.get(cleaned, labels.get(cleaned.lower(), cleaned))
    return cleaned


def _choices_help(fact: schemes.Field) -> str:
    if fact.kind == "bool":
        return _("是 / 否")
    if fact.kind == "choice":
        return join_clauses(f"{code} = {text(labels)}" for code, labels in fact.choices)
    if fact.kind == "date":
        return _("日期，例如 2020-01-31")
    return unit_label(fact.unit)


class OpenRoundForm(forms.Form):
    scheme = forms.ChoiceField(label=gettext_lazy("积分办法"))
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    quota = forms.IntegerField(
        label=gettext_lazy("落户指标数"),
        min_value=1,
        help_text=gettext_lazy("本轮拟落户人数，正整数，例如 6000"),
    )
    opens_on = forms.DateField(
        label=gettext_lazy("申报开始"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    closes_on = forms.DateField(
        label=gettext_lazy("申报截止"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    assessed_on = forms.DateField(
        label=gettext_lazy("积分计算日"),
        required=False,
        help_text=gettext_lazy("不填则为申报开始日；决定适用哪一版办法"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scheme = cast("forms.ChoiceField", self.fields["scheme"])
        scheme.choices = [
            (key, text(s.name)) for key, s in schemes.SCHEMES.items() if s.threshold is None
        ]


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("不予受理的理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("写明依据的条款、涉及的事实，以及申请人可以怎样补正"),
    )


class VerifyIndicatorForm(forms.Form):
    indicator = forms.ChoiceField(label=gettext_lazy("指标"))
    value = forms.CharField(
        label=gettext_lazy("核实的数值"),
        max_length=100,
        help_text=gettext_lazy("按证明材料核实后的数值；是否类填“是”或“否”"),
    )
    file = forms.FileField(
        label=gettext_lazy("上传证明材料"),
        required=False,
        help_text=gettext_lazy("PDF、PNG 或 JPEG；与登记记录一致的指标可以不上传"),
    )
    evidence_ids = forms.TypedMultipleChoiceField(
        label=gettext_lazy("已上传的证明材料"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=gettext_lazy("备注"), required=False, max_length=2000)

    def __init__(
        self,
        *args: Any,
        scheme: schemes.Scheme,
        on: dt.date,
        evidence: list[Any],
        **kwargs: Any,
    ) -> None:
        """``on``: the round's assessment date; only the facts in force then are offered."""
        super().__init__(*args, **kwargs)
        self.scheme = scheme
        indicator = cast("forms.ChoiceField", self.fields["indicator"])
        indicator.choices = [(f.name, text(f.label)) for f in scheme.fields_on(on)]
        ids = cast("forms.ChoiceField", self.fields["evidence_ids"])
        ids.choices = [(e.pk, f"{e.filename} ({e.uploaded_at:%Y-%m-%d})") for e in evidence]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        name = data.get("indicator")
        if name and "value" in data:
            try:
                data["value"] = typed_value(self.scheme.field(name), data["value"])
            except forms.ValidationError as error:
                self.add_error("value", error)
        return data

    def action_arguments(self) -> dict[str, Any]:
        from liudong.evidence import files
        from liudong.settlement.actions import Upload

        data = self.cleaned_data
        uploads = []
        upload = data.get("file")
        if upload is not None:
            uploads.append(
                Upload(
                    filename=upload.name or "",
                    data=upload.read(files.max_bytes() + 1),
                    declared_type=upload.content_type or "",
                )
            )
        return {
            "indicator": data["indicator"],
            "value": data["value"],
            "evidence_ids": data.get("evidence_ids") or [],
            "uploads": uploads,
            "note": data.get("note") or "",
        }


class DecideObjectionForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=gettext_lazy("处理结果"),
        choices=[
            ("no", gettext_lazy("异议不成立，名单不变")),
            ("yes", gettext_lazy("异议成立，更正")),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    decision = forms.CharField(
        label=gettext_lazy("处理意见"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("书面说明核查的事实和依据；异议成立时，这就是新版本名单的更正理由"),
    )
    indicator = forms.CharField(label=gettext_lazy("更正的指标"), required=False, max_length=64)
    value = forms.CharField(label=gettext_lazy("更正后的数值"), required=False, max_length=100)

    def __init__(self, *args: Any, scheme: schemes.Scheme | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scheme = scheme

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        name = (data.get("indicator") or "").strip()
        if not data.get("upheld") or not name or self.scheme is None:
            return data
        try:
            fact = self.scheme.field(name)
        except KeyError:
            self.add_error("indicator", _("没有“%(name)s”这项指标") % {"name": name})
            return data
        try:
            data["value"] = typed_value(fact, data.get("value") or "")
        except forms.ValidationError as error:
            self.add_error("value", error)
        return data

    def action_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        name = (data.get("indicator") or "").strip()
        corrections = {name: data.get("value")} if data["upheld"] and name else {}
        return {"upheld": data["upheld"], "decision": data["decision"], "corrections": corrections}


# ---------------------------------------------------------------------------------------------
# Fast rendering of the self-check's many fields.
#
# Django's form renderer renders three templates per field and one per radio or checkbox
# option; the self-check has some forty fields and answers on every change, so its controls
# are written here with ``format_html`` (the same markup: label, help, errors, ARIA links).


def control(bound: BoundField) -> SafeString:
    """One field's accessible markup: label, input(s), help text and errors."""
    widget = bound.field.widget
    described = []
    help_html = errors_html = SafeString("")
    if bound.help_text:
        described.append(f"{bound.auto_id}_helptext")
        help_html = format_html(
            '<div class="helptext" id="{}_helptext">{}</div>', bound.auto_id, bound.help_text
        )
    if bound.errors:
        described.append(f"{bound.auto_id}_error")
        errors_html = format_html(
            '<ul class="errorlist" id="{}_error">{}</ul>',
            bound.auto_id,
            format_html_join("", "<li>{}</li>", ((e,) for e in bound.errors)),
        )
    aria = format_html(
        "{}{}",
        format_html(' aria-describedby="{}"', " ".join(described)) if described else "",
        SafeString(' aria-invalid="true"') if bound.errors else "",
    )
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
        inner = _options(bound, widget, aria)
    elif isinstance(widget, forms.CheckboxInput):
        checked = SafeString(" checked") if bound.value() else ""
        inner = format_html(
            '<label for="{id}"><input type="checkbox" name="{name}" id="{id}"{checked}{aria}> '
            "{label}</label>",
            id=bound.auto_id,
            name=bound.html_name,
            checked=checked,
            aria=aria,
            label=bound.label,
        )
        return format_html(
            '<div class="field{}">{}{}{}</div>', _invalid(bound), inner, help_html, errors_html
        )
    elif isinstance(widget, forms.Select):
        inner = _select(bound, aria)
    else:
        inner = _input(bound, widget, aria)
    return format_html(
        '<div class="field{}">{}{}{}</div>', _invalid(bound), inner, help_html, errors_html
    )


def _invalid(bound: BoundField) -> str:
    return " invalid" if bound.errors else ""


def _input(bound: BoundField, widget: forms.Widget, aria: SafeString) -> SafeString:
    attrs = dict(widget.attrs)
    kind = getattr(widget, "input_type", "text")
    value = bound.value()
    shown = "" if value is None else value.isoformat() if hasattr(value, "isoformat") else value
    extra = format_html_join("", ' {}="{}"', attrs.items())
    required = SafeString(" required") if bound.field.required else ""
    return format_html(
        '<label for="{id}">{label}</label><input type="{kind}" name="{name}" id="{id}" '
        'value="{value}"{extra}{required}{aria}>',
        id=bound.auto_id,
        label=bound.label,
        kind=kind,
        name=bound.html_name,
        value=shown,
        extra=extra,
        required=required,
        aria=aria,
    )


def _select(bound: BoundField, aria: SafeString) -> SafeString:
    value = "" if bound.value() is None else str(bound.value())
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (code, SafeString(" selected") if str(code) == value else "", label)
            for code, label in getattr(bound.field, "choices", ())
        ),
    )
    return format_html(
        '<label for="{id}">{label}</label><select name="{name}" id="{id}"{aria}>{options}</select>',
        id=bound.auto_id,
        label=bound.label,
        name=bound.html_name,
        aria=aria,
        options=options,
    )


def _options(bound: BoundField, widget: forms.Widget, aria: SafeString) -> SafeString:
    kind = "checkbox" if isinstance(widget, forms.CheckboxSelectMultiple) else "radio"
    value = bound.value()
    chosen = {str(v) for v in value} if isinstance(value, list | tuple) else {str(value)}
    items = format_html_join(
        "",
        '<label for="{0}_{1}"><input type="{2}" name="{3}" value="{4}" id="{0}_{1}"{5}> '
        "{6}</label>",
        (
            (
                bound.auto_id,
                index,
                kind,
                bound.html_name,
                code,
                SafeString(" checked") if str(code) in chosen else "",
                label,
            )
            for index, (code, label) in enumerate(getattr(bound.field, "choices", ()))
        ),
    )
    return format_html(
        '<fieldset class="options" id="{id}"{aria}><legend>{label}</legend><div>{items}</div>'
        "</fieldset>",
        id=bound.auto_id,
        aria=aria,
        label=bound.label,
        items=items,
    )
