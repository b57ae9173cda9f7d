"""The landing page of each role. Depends on every domain app; none depends on it."""
