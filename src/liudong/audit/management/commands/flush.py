"""``flush`` that the test runner can use although audit rows are append-only.

Django's transactional tests empty every table with ``flush`` after each test. In Django's
test environment (``mail.outbox`` exists, set up by the test runner and pytest-django) or under
``LIUDONG_MODE=test`` this command suspends the append-only triggers while it runs; otherwise
it is Django's own ``flush``, which the triggers stop at the audit tables.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import mail
from django.core.management.commands import flush
from django.db import connections

from liudong.audit import guard


def testing() -> bool:
    return settings.MODE == "test" or hasattr(mail, "outbox")


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        if not testing():
            super().handle(**options)
            return
        with guard.suspended(connections[options["database"]]):
            super().handle(**options)
