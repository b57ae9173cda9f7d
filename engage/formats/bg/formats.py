# Bulgarian: Django's formats, with the date-time formats and first day of the week it lacks.
from django.conf.locale.bg.formats import *  # noqa: F403

DATETIME_FORMAT = "d F Y, H:i"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
FIRST_DAY_OF_WEEK = 1
# Dates typed as they are written (25.10.2026), which Django's Bulgarian formats do not read.
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d"]
