# Italian: Django's formats, without the weekday in front of every date and time.
from django.conf.locale.it.formats import *  # noqa: F403

DATE_FORMAT = "j F Y"  # 29 novembre 2026
DATETIME_FORMAT = "j F Y, H:i"
