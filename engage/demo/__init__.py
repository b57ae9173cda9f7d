"""Fictional demo data for trying Engage out. Depends on the domain apps; nothing depends on it."""
