"""Evaluation cycles: a term's points, a frozen snapshot of the report at each, the evaluators'
narratives, the snapshots side by side (`services.py`), and their pages (`forms.py`, `views.py`).
"""
