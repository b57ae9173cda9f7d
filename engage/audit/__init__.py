"""Who read or did what, when: an append-only record that holds no personal data values.

Depends on nothing else in Engage (actors and objects are recorded by id), so that every other
app can write to it.
"""
