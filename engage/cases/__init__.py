"""The case management process (CAP model): referral, screening, inclusion, assessment, case
planning, intervention, resolution and closure. Depends on `accounts`, `audit` and `lib`.
"""
