"""Declared access of certificates (/certificates/, /api/certificates/).

Verification (the page, by code or file, and both API operations) is public: anyone, signed
in or not, gets the status and the masked fields. A certificate's own page and its PDF are
for its subject (a citizen: ``own``) and the caseworkers of her jurisdiction; revoking,
retrying and issuing registry extracts for caseworkers of the jurisdiction only; the staff
list for caseworkers. A refused certificate is a 404 (its code is not confirmed)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from liudong.certificates.actions import do_issue_certificate
from liudong.certificates.codes import new_code
from liudong.certificates.content import ID_NUMBER, NAME, field
from tests.authz import JURISDICTION, NONE, OWN, Endpoint, Target, allow, everyone
from tests.authz.people import person_target
from tests.evidence.samples import PDF

if TYPE_CHECKING:
    from liudong.accounts.models import User
    from liudong.people.models import Person
    from tests.personas import World


def _issued(world: World, actor: User, label: str, person: Person) -> Target:
    certificate = do_issue_certificate(
        actor,
        kind="people.registry_extract",
        subject=person,
        title="户籍和居住证信息摘要",
        fields={
            "name": field("姓名", person.name, NAME),
            "id_number": field("公民身份号码", person.id_masked, ID_NUMBER),
        },
        template="certificates/registry_extract.html",
    )
    about = person_target(label, person)
    return Target(label, certificate, persons=about.persons, regions=about.regions)


def _certificates(world: World) -> list[Target]:
    """Pending certificates (their PDFs are not rendered here) of three persons."""
    return [
        _issued(world, world.beijing_caseworker, "migrant's extract", world.migrant),
        _issued(world, world.beijing_caseworker, "neighbour's extract", world.neighbour),
        _issued(world, world.shanghai_officer, "pudong resident's extract", world.pudong_resident),
    ]


TARGETS = {"certificate": _certificates}

SUBJECT_OR_CASEWORKERS = allow(citizen=OWN, staff=JURISDICTION, supervisor=JURISDICTION)
CASEWORKERS = allow(staff=JURISDICTION, supervisor=JURISDICTION)


def _by_code(target: Target) -> dict[str, str]:
    return {"code": target.obj.code}


ENDPOINTS: dict[str, Endpoint] = {
    "certificates:verify": Endpoint(
        everyone(signed_in=False),
        methods=("GET", "POST"),
        body=lambda call: {"code": new_code()},
        public=True,
    ),
    "certificates:mine": Endpoint(allow(citizen=NONE)),
    "certificates:list": Endpoint(allow(staff=NONE, supervisor=NONE)),
    "certificates:issue_extract": Endpoint(
        CASEWORKERS,
        target="person",
        methods=("POST",),
        body=lambda call: {"person_id": call.target.pk},
    ),
    "certificates:detail": Endpoint(SUBJECT_OR_CASEWORKERS, target="certificate", kwargs=_by_code),
    "certificates:download": Endpoint(
        SUBJECT_OR_CASEWORKERS,
        target="certificate",
        kwargs=_by_code,
        note="a pending certificate redirects to its page, which says why",
    ),
    "certificates:revoke": Endpoint(
        CASEWORKERS,
        target="certificate",
        methods=("POST",),
        kwargs=_by_code,
        body=lambda call: {"reason": "登记信息有误，已重新出具"},
    ),
    "certificates:retry": Endpoint(
        CASEWORKERS,
        target="certificate",
        methods=("POST",),
        kwargs=_by_code,
        note="a certificate that has not failed redirects back with a warning",
    ),
    "certificates_get_certificate": Endpoint(
        everyone(signed_in=False), target="certificate", kwargs=_by_code, public=True
    ),
    "certificates_verify_file": Endpoint(
        everyone(signed_in=False),
        methods=("POST",),
        body=lambda call: {"pdf_base64": base64.b64encode(PDF).decode()},
        public=True,
    ),
}
