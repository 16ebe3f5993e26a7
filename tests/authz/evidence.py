"""Declared access of the evidence endpoints (/evidence/). For now by role: a file is read by
its uploader (here henan_migrant, so the scope ``own`` of a citizen) and by caseworkers
(staff, supervisors) whatever it is attached to; uploads by citizens, employer
representatives and caseworkers. Auditors and administrators do neither. A refused download
is a 404 (the file's existence is not confirmed), a refused upload a 403; both audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from liudong.evidence.actions import do_upload_evidence
from tests.authz import ANY, NONE, OWN, Endpoint, Target, allow
from tests.evidence.samples import PDF, pdf_upload

if TYPE_CHECKING:
    from tests.personas import World


def evidence_targets(world: World) -> list[Target]:
    def upload(user_name: str) -> object:
        return do_upload_evidence(
            world.persona(user_name),
            object_type="people.person",
            object_id=str(world.migrant.pk),
            filename="proof.pdf",
            data=PDF,
            declared_type="application/pdf",
        )

    return [
        Target(
            "evidence of henan_migrant",
            upload("henan_migrant"),
            persons=frozenset({world.migrant.pk}),
        ),
        Target("evidence of beijing_caseworker", upload("beijing_caseworker")),
    ]


TARGETS = {"evidence": evidence_targets}

ENDPOINTS: dict[str, Endpoint] = {
    "evidence:download": Endpoint(
        allow(citizen=OWN, staff=ANY, supervisor=ANY),
        target="evidence",
        kwargs=lambda t: {"pk": t.pk},
    ),
    "evidence:upload": Endpoint(
        allow(citizen=NONE, employer=NONE, staff=NONE, supervisor=NONE),
        methods=("POST",),
        body=lambda call: {
            "object_type": "people.person",
            "object_id": str(call.world.migrant.pk),
            "file": pdf_upload(),
        },
    ),
}
