"""Organisations (pilots), teams, users and their roles. Depends on nothing else in Engage."""
