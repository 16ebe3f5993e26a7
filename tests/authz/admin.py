"""Declared access of the Django admin (liudong.site.admin_site): the administrator role edits
reference data; no one manages anything else there. The admin refuses non-administrators by
redirecting to sign-in and answers 403 on models without permission; Django's admin writes
no audit event for either (``audited=False``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from liudong.people.models import Region
from tests.authz import ANY, NOBODY, Endpoint, Target, allow, everyone

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.personas import World

NOTE = "Django's admin: refusals are redirects to sign-in or 403s, without an audit event"
ADMIN = allow(admin=ANY)

# Every model registered in the admin, with its access. A model registered later must be
# added here: its URLs are otherwise undeclared and the matrix fails.
REFERENCE_MODELS = ("people.region", "people.agency", "people.employer")
CLOSED_MODELS = (
    "auth.group",
    "otp_totp.totpdevice",
    "otp_static.staticdevice",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
)


def _reference(world: World) -> dict[str, Target]:
    return {
        "people.region": Target("region 110105", Region.objects.get(pk=110105)),
        "people.agency": Target("agency", world.chaoyang_agency),
        "people.employer": Target("employer", world.employer),
    }


def _closed(world: World) -> dict[str, Callable[[], Any]]:
    """One real row of each closed model (a missing row would redirect before the check)."""
    seen = {
        "user_agent": "matrix",
        "ip_address": "127.0.0.1",
        "username": "x",
        "http_accept": "*/*",
        "path_info": "/",
    }
    return {
        "auth.group": lambda: Group.objects.create(name="matrix"),
        "otp_totp.totpdevice": lambda: TOTPDevice.objects.create(user=world.admin, name="matrix"),
        "otp_static.staticdevice": lambda: StaticDevice.objects.create(
            user=world.admin, name="matrix"
        ),
        "axes.accessattempt": lambda: AccessAttempt.objects.create(
            get_data="", post_data="", failures_since_start=1, **seen
        ),
        "axes.accesslog": lambda: AccessLog.objects.create(**seen),
        "axes.accessfailurelog": lambda: AccessFailureLog.objects.create(**seen),
    }


def _object_of(label: str) -> Callable[[World], list[Target]]:
    def targets(world: World) -> list[Target]:
        if label in REFERENCE_MODELS:
            return [_reference(world)[label]]
        return [Target(label, _closed(world)[label]())]

    return targets


def _model_endpoints(label: str, access: dict[str, frozenset[str]]) -> dict[str, Endpoint]:
    app, model = label.split(".")
    by_id: Callable[[Target], dict[str, Any]] = lambda t: {"object_id": t.pk}  # noqa: E731
    on_object = {"target": f"admin:{label}", "kwargs": by_id}
    return {
        f"admin:{app}_{model}_changelist": Endpoint(access, audited=False, note=NOTE),
        f"admin:{app}_{model}_add": Endpoint(access, audited=False, note=NOTE),
        f"admin:{app}_{model}_change": Endpoint(access, audited=False, note=NOTE, **on_object),  # type: ignore[arg-type]  # the two keys above
        f"admin:{app}_{model}_history": Endpoint(access, audited=False, note=NOTE, **on_object),  # type: ignore[arg-type]  # the two keys above
        f"admin:{app}_{model}_delete": Endpoint(access, audited=False, note=NOTE, **on_object),  # type: ignore[arg-type]  # the two keys above
        # the bare object URL only redirects to its change page (which decides)
        f"admin/{app}/{model}/<path:object_id>/": Endpoint(
            ADMIN,
            audited=False,
            note=NOTE,
            **on_object,  # type: ignore[arg-type]  # the two keys above
        ),
    }


def _region_content_type(target: Target) -> dict[str, Any]:
    return {"content_type_id": ContentType.objects.get_for_model(Region).pk, "object_id": 110105}


TARGETS = {f"admin:{label}": _object_of(label) for label in REFERENCE_MODELS + CLOSED_MODELS}
TARGETS["admin:device"] = _object_of("otp_totp.totpdevice")

ENDPOINTS: dict[str, Endpoint] = {
    "admin:index": Endpoint(ADMIN, audited=False, note=NOTE),
    "admin:app_list": Endpoint(
        ADMIN, audited=False, note=NOTE, kwargs=lambda t: {"app_label": "people"}
    ),
    "admin:login": Endpoint(everyone(signed_in=False), public=True, note="redirects to sign-in"),
    "admin:logout": Endpoint(everyone(signed_in=False), public=True, note="redirects to sign-out"),
    "admin:password_change": Endpoint(everyone(signed_in=False), public=True),
    "admin:password_change_done": Endpoint(ADMIN, audited=False, note=NOTE),
    "admin:jsi18n": Endpoint(ADMIN, audited=False, note=NOTE),
    "admin:autocomplete": Endpoint(
        NOBODY, audited=False, note=NOTE + "; a bare GET without its parameters is a 403"
    ),
    "admin:view_on_site": Endpoint(
        NOBODY,
        audited=False,
        kwargs=_region_content_type,
        note=NOTE + "; regions have no page of their own, so even administrators get 404",
    ),
    "admin/(?P<url>.*)$": Endpoint(
        NOBODY, audited=False, kwargs=lambda t: {"url": "no-such-page/"}, note=NOTE
    ),
    "admin:otp_totp_totpdevice_config": Endpoint(
        NOBODY, audited=False, target="admin:device", kwargs=lambda t: {"pk": t.pk}, note=NOTE
    ),
    "admin:otp_totp_totpdevice_qrcode": Endpoint(
        NOBODY, audited=False, target="admin:device", kwargs=lambda t: {"pk": t.pk}, note=NOTE
    ),
}
for _label in REFERENCE_MODELS:
    ENDPOINTS.update(_model_endpoints(_label, ADMIN))
for _label in CLOSED_MODELS:
    ENDPOINTS.update(_model_endpoints(_label, NOBODY))
