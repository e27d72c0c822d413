"""Accounts: users, roles, lockout and API tokens."""
