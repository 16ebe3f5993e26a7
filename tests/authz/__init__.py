"""Declarations for the authorization matrix (``tests/test_authz_matrix.py``, T7).

Every URL pattern (by its route name, ``"people:me"``; an unnamed pattern by its full route)
and every API operation (by its OpenAPI ``operationId``, ``"people_get_person"``) must be
declared in one module here, one per app, each with an ``ENDPOINTS`` dict. The matrix fails
on an undeclared endpoint and on a declaration whose endpoint is gone.

A declaration says which roles may do what to which targets::

    "people_get_person": Endpoint(
        target="person",
        kwargs=lambda t: {"person_id": t.pk},
        access=allow(citizen=OWN, staff=JURISDICTION, supervisor=JURISDICTION),
    ),

Roles are the user roles plus ``anonymous``. The matrix calls the endpoint as every persona
(tests/personas.py) on every target of the kind, works out the target's scope relative to
the persona (:data:`SCOPES`), and expects an allow exactly where ``access[role]`` holds that
scope. Endpoints without a target have the scope ``none``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from liudong.accounts.models import User
    from tests.personas import World

# Target scopes, relative to the persona making the request.
OWN = "own"  # her own record (a citizen), her employer's (a representative)
OTHER_CITIZEN = "other_citizen"  # someone else's record, seen by a citizen
OWN_JURISDICTION = "own_jurisdiction"  # in the agency's region or below
SIBLING_JURISDICTION = "sibling_jurisdiction"  # a neighbouring region under the same parent
PARENT_JURISDICTION = "parent_jurisdiction"  # registered at a level above the agency's region
OTHER_JURISDICTION = "other_jurisdiction"  # another city or province
UNRELATED = "unrelated"  # no relation (auditors, administrators, anonymous callers)
NONE = "none"  # the endpoint has no target
SCOPES = frozenset(
    {
        OWN,
        OTHER_CITIZEN,
        OWN_JURISDICTION,
        SIBLING_JURISDICTION,
        PARENT_JURISDICTION,
        OTHER_JURISDICTION,
        UNRELATED,
        NONE,
    }
)
ANY = SCOPES
JURISDICTION = frozenset({OWN_JURISDICTION})

ROLES = ("anonymous", "citizen", "employer", "staff", "supervisor", "auditor", "admin", "analyst")
SIGNED_IN = ROLES[1:]


def allow(**roles: Iterable[str] | str) -> dict[str, frozenset[str]]:
    """``allow(citizen=OWN, staff=JURISDICTION)``: the scopes each role may reach."""
    unknown = set(roles) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    return {
        role: frozenset({scopes}) if isinstance(scopes, str) else frozenset(scopes)
        for role, scopes in roles.items()
    }


def everyone(
    scopes: Iterable[str] | str = ANY, *, signed_in: bool = True
) -> dict[str, frozenset[str]]:
    """Every signed-in role (or every role, anonymous included) on these scopes."""
    return allow(**dict.fromkeys(SIGNED_IN if signed_in else ROLES, scopes))


NOBODY: dict[str, frozenset[str]] = {}


@dataclass(frozen=True)
class Call:
    """What a body factory gets: the world, the persona calling, the target (or None)."""

    world: World
    user: User | None
    target: Any


@dataclass(frozen=True)
class Endpoint:
    """One endpoint's declared access, and how to call it.

    ``access`` applies to every method in ``methods`` unless ``method_access`` overrides
    one. ``kwargs`` builds the URL's parameters from the target; ``body`` the request body
    (JSON for the API, form fields for pages). ``form_token`` names the one-time form token
    a page's POST needs (liudong.site.formtokens). ``audited=False`` marks endpoints whose
    refusals leave no audit event (with the reason in ``note``); ``public`` endpoints are open
    to everyone and never "denied".
    """

    access: Mapping[str, frozenset[str]]
    target: str | None = None
    methods: tuple[str, ...] = ("GET",)
    kwargs: Callable[[Any], dict[str, Any]] | None = None
    body: Callable[[Call], dict[str, Any]] | None = None
    method_access: Mapping[str, Mapping[str, frozenset[str]]] = field(default_factory=dict)
    form_token: str | None = None
    audited: bool = True
    public: bool = False
    note: str = ""

    def access_for(self, method: str) -> Mapping[str, frozenset[str]]:
        return self.method_access.get(method, self.access)


@dataclass(frozen=True)
class Target:
    """An object an endpoint acts on, with what decides its scope: whose record it is
    (``persons``), which employers it belongs to, and the regions it lies in."""

    label: str
    obj: Any
    persons: frozenset[int] = frozenset()
    employers: frozenset[int] = frozenset()
    regions: tuple[int, ...] = ()

    @property
    def pk(self) -> Any:
        return self.obj.pk


TargetKinds = Mapping[str, Callable[["World"], list[Target]]]


def _modules() -> list[Any]:
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
    ]


def load() -> dict[str, Endpoint]:
    """Every declaration of every module in this package (a key declared twice fails)."""
    found: dict[str, Endpoint] = {}
    for module in _modules():
        endpoints: dict[str, Endpoint] = getattr(module, "ENDPOINTS", {})
        twice = set(found) & set(endpoints)
        assert not twice, f"declared twice ({module.__name__}): {sorted(twice)}"
        found.update(endpoints)
    return found


def target_kinds() -> dict[str, Callable[[World], list[Target]]]:
    """Every module's ``TARGETS``: target kind → the targets of that kind in the world."""
    kinds: dict[str, Callable[[World], list[Target]]] = {}
    for module in _modules():
        kinds.update(getattr(module, "TARGETS", {}))
    return kinds
