"""Real-name verification behind an interface.

A :class:`RealNameVerifier` answers one question: do this resident ID number and this name
belong to one registered person, and where may a one-time code be sent to prove the person is
at the keyboard? Production would put the public-security identity service behind it; the demo
and the tests use :class:`RegistryVerifier`, which checks liudong's own registry (the ID
number by its blind index, never by decrypting the table) and answers with the mobile number
the registry holds.

The one-time code itself, its expiry, single use and attempt limit belong to the actions
(``liudong.accounts.actions``), not to the verifier.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings

from liudong import crypto


@dataclass(frozen=True)
class Verified:
    """A match: the registered person and the mobile number to send the code to."""

    person_id: int
    phone: str


class RealNameVerifier(Protocol):
    def verify(self, id_number: str, name: str) -> Verified | None:
        """The person with this ID number and name, or None when they do not match."""
        ...


def normalise_name(name: str) -> str:
    """NFKC, no surrounding or inner white space (“张 三” is 张三; names have no spaces)."""
    return "".join(unicodedata.normalize("NFKC", name).split())


class RegistryVerifier:
    """Checks the ID number and name against liudong's registry (demo and tests)."""

    def verify(self, id_number: str, name: str) -> Verified | None:
        from liudong.people.models import Person

        person = (
            Person.objects.filter(id_bi=crypto.blind_index(id_number, "id_number"))
            .only("pk", "name", "phone")
            .first()
        )
        if person is None or normalise_name(person.name) != normalise_name(name):
            return None
        return Verified(person_id=person.pk, phone=person.phone)


def verifier() -> RealNameVerifier:
    """The configured verifier (``LIUDONG_REALNAME_VERIFIER``; only ``registry`` so far)."""
    if settings.LIUDONG_REALNAME_VERIFIER == "registry":
        return RegistryVerifier()
    raise RuntimeError(
        f"LIUDONG_REALNAME_VERIFIER={settings.LIUDONG_REALNAME_VERIFIER!r} is not known; "
        "use 'registry'"
    )


def mask_phone(phone: str) -> str:
    """138****1234: enough for a person to recognise their own number."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"
