"""Accounts: roles, sign-in (two factors for staff), real-name binding of citizens."""
