"""The case types of every domain, by name: a domain declares its case type in its own module
and registers it from its ``AppConfig.ready()``::

    from liudong.workflows import register
    register(TRANSFER)  # liudong.pension.workflows.TRANSFER
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from liudong.workflows.definition import WorkflowDefinitionError

if TYPE_CHECKING:
    from liudong.workflows.definition import CaseType

_REGISTRY: dict[str, CaseType] = {}


def register(declared: CaseType) -> CaseType:
    """Make ``declared`` known by its name. Registering the same declaration again is harmless;
    another declaration under a taken name, or one naming an unknown role, is an error."""
    from liudong.accounts.models import Role  # the roles live with the accounts

    unknown = sorted(declared.roles() - set(Role.values))
    if unknown:
        raise WorkflowDefinitionError(
            f"case type {declared.name!r} names unknown roles {unknown}; "
            f"the roles are {sorted(Role.values)}"
        )
    found = _REGISTRY.get(declared.name)
    if found is not None and found != declared:
        raise WorkflowDefinitionError(
            f"another case type is already registered as {declared.name!r}; "
            "case type names are global: prefix them with the domain, e.g. 'pension.transfer'"
        )
    _REGISTRY[declared.name] = declared
    return declared


def case_type(name: str) -> CaseType:
    """The registered case type ``name``; ``LookupError`` naming the known ones if absent."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none yet"
        raise LookupError(f"no case type {name!r} is registered (registered: {known})") from None


def registered() -> tuple[CaseType, ...]:
    return tuple(_REGISTRY[name] for name in sorted(_REGISTRY))
