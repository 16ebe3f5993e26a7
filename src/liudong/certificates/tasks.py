"""The background task that renders a certificate (enqueued by ``do_issue_certificate``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from liudong.tasks import report_progress, task


@task(label=gettext_lazy("生成证明"))
def generate_certificate(certificate_id: int) -> str:
    """Render, sign and store one certificate; returns its status (``ready`` or ``failed``).
    Run twice (a worker died after committing), it leaves a finished certificate alone."""
    from liudong.certificates.actions import generate  # actions import this

    report_progress(0, 1, "rendering the certificate PDF")
    certificate = generate(certificate_id)
    report_progress(1, 1, "done")
    return certificate.status if certificate is not None else "missing"
