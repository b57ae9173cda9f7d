"""Cases taken offline for the day's visits (docs/offline.md).

The server side of offline use: which cases a person took offline, the minimal bundle of them a
phone keeps encrypted, the devices that hold one (and the wrap key each gets while signed in),
the outbox items sent back (each applied once, by its idempotency key, through the cases
services), and the instruction to wipe. The app shell, the service worker and the encryption on
the device are `static/engage/offline.js` and `templates/offline/`.
"""
