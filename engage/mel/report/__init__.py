"""The report computed from dataset rows: the indicators (`indicators.py`), disclosure control
applied once before any rendering (`disclosure.py`), the parts apps to the right add
(`parts.py`), the renderings as HTML, PDF and XLSX (`render.py`), and what the evidence
dashboards show (`dashboards.py`).
"""
