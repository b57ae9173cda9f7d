"""The month names of dates, in our catalogues so that each language writes them as it should.

Django's own catalogues give Bulgarian, Italian and Polish month names a capital ("29 Ноември 2026",
"29 Novembre 2026", "Listopad 2026"); these languages write them in lower case. Our catalogues come before
Django's (LOCALE_PATHS), so these entries decide; the other languages keep Django's names.
"""

from django.utils.translation import gettext_noop

MONTHS = (
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
)
