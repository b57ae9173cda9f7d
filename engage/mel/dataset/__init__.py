"""The harmonised network dataset: its columns and the rows derived from live cases
(`rows.py`), the suppression that keeps anyone from being singled out before export
(`anonymity.py`), a submission's `cases.csv` and `manifest.json` written and checked
(`submission.py`), and the UN M49 regions nationalities are reported by (`m49.py`).
"""
