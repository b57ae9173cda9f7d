"""Engage: case management and evidence for community-based alternatives to detention.

Apps and the direction of their dependencies (an app imports only from apps to its left):

    lib  <-  accounts  <-  cases  <-  mel  <-  dashboard, demo, ops

See docs/architecture.md.
"""
