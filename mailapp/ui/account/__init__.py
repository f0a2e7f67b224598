"""Signing in, the first-run page, and each account's settings and identities."""
