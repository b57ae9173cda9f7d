# Greek: Django's formats, with the 24-hour clock and weeks from Monday used in Greece and Cyprus.
from django.conf.locale.el.formats import *  # noqa: F403

DATE_FORMAT = "j E Y"  # 29 Νοεμβρίου 2026: the month in the genitive
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j E Y, H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 1
