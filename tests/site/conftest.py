"""The accounts personas, shared with the site tests."""

from tests.accounts.conftest import caseworker, citizen, newcomer, outbox, zhang_wei

__all__ = ["caseworker", "citizen", "newcomer", "outbox", "zhang_wei"]
