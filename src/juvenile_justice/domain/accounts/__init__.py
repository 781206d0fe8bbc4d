"""Accounts: units (单位), users, roles, tokens and log-in throttling."""
