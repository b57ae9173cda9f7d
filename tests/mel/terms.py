"""The evaluation cycle the cycle, snapshot and questionnaire tests define."""

TERM = {
    "name": "Pilots 2023-2024",
    "period_start": "2023-01",
    "baseline": "2023-06",
    "six_months": "2023-12",
    "midterm": "2024-06",
    "end_of_term": "2024-12",
}
