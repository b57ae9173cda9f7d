"""Each pilot's own questions on the process forms (issue 15): custom fields on the harmonised
core, defined by the organisation's admin without code. Their values are personal data: they
are encrypted at rest, scoped to the organisation and never part of the network dataset."""
