"""System checks of the certificates app: can this machine render certificates, and will they
print an address where they can be verified?

``certificates.W001`` warns (every ``check``, not only ``--deploy``) when Pango or the Noto CJK
fonts are missing: the site works, but every certificate will fail with the same reason.
``certificates.W002`` (deploy) warns when neither ``LIUDONG_PUBLIC_URL`` nor an allowed host
gives the site's address, so certificates would print only the path of the verification page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core import checks

from liudong.certificates import pdf

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.apps.config import AppConfig
    from django.core.checks import CheckMessage


@checks.register("certificates")
def check_renderer(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    ready = pdf.readiness()
    if ready.ok:
        return []
    return [
        checks.Warning(
            "PDF certificates cannot be generated: " + "; ".join(ready.problems) + ".",
            hint=f"Install the system packages: {pdf.FIX} (then retry the failed certificates).",
            id="certificates.W001",
        )
    ]


@checks.register("certificates", deploy=True)
def check_public_url(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    from liudong.certificates.actions import public_address  # models

    if public_address():
        return []
    return [
        checks.Warning(
            "No public address (LIUDONG_PUBLIC_URL, or an allowed host in production): "
            "certificates print only the path of the verification page, not a full address.",
            hint="Set LIUDONG_PUBLIC_URL to the site's public address, e.g. "
            "https://liudong.example.gov.cn",
            id="certificates.W002",
        )
    ]
