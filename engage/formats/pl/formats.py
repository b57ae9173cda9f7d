# Polish: Django's formats, with short dates written as Poles write them and read them back
# (25.10.2026). Django's "d-m-Y" is neither usual in Poland nor among its own input formats.
from django.conf.locale.pl.formats import *  # noqa: F403

SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
