"""A per-address limit on file verifications, the one public request that costs real work
(reading up to 10 MB, hashing it, inflating its streams). Code look-ups are one indexed query
and are not limited here; a reverse proxy can limit both paths (``/certificates/verify/``,
``/api/certificates/``) further. The count lives in Django's cache: per process with the
default local-memory cache, shared with a shared cache backend.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from liudong.site.errors import ActionError

if TYPE_CHECKING:
    from django.http import HttpRequest

DEFAULT_FILES_PER_MINUTE = 30


class ThrottledError(ActionError):
    status = 429

    def __init__(self) -> None:
        super().__init__("throttled", _("核验文件过于频繁：请一分钟后再试"), "file")


def files_per_minute() -> int:
    """``LIUDONG_CERTIFICATE_VERIFICATIONS_PER_MINUTE`` (default 30) per client address."""
    return int(
        getattr(settings, "LIUDONG_CERTIFICATE_VERIFICATIONS_PER_MINUTE", DEFAULT_FILES_PER_MINUTE)
    )


def file_verification_allowed(request: HttpRequest) -> bool:
    """Count one file verification from the request's address; False over the limit."""
    minute = int(time.time() // 60)
    key = f"liudong:certificates:verify-file:{request.META.get('REMOTE_ADDR', '')}:{minute}"
    if cache.add(key, 1, timeout=120):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=120)
        return True
    return count <= files_per_minute()
