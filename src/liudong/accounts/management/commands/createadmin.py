"""``liudong manage createadmin USERNAME``: the first administrator, with a TOTP device.

Like ``createsuperuser``, but the account gets the administrator *role* (not Django's
superuser flag) and an authenticator secret, printed as an otpauth:// URI and a QR code to
scan. The password is asked twice on the terminal, or read from ``--password-stdin``.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

import segno
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liudong.accounts.actions import do_create_admin
from liudong.site.errors import ActionError


class Command(BaseCommand):
    help = "Create an administrator (role admin) with a TOTP device; prints the otpauth URI."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--password-stdin", action="store_true", help="Read the password from stdin."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = self._password(options["password_stdin"])
        try:
            user, device = do_create_admin(None, options["username"], password)
        except ActionError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"administrator {user.username} created.")
        self.stdout.write("Add this secret to an authenticator app (scan the QR code):")
        self.stdout.write(device.config_url)
        if sys.stdout.isatty():
            segno.make(device.config_url).terminal(out=sys.stdout, compact=True)
        self.stdout.write("Then sign in at /accounts/login/ with the password and the app's code.")

    def _password(self, from_stdin: bool) -> str:
        if from_stdin:
            return sys.stdin.readline().rstrip("\n")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("the two passwords differ; nothing was created")
        return first
