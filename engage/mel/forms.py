"""Forms of the evidence pages: what each role may ask for is decided by the choices offered,
and checked again by the services."""

import zipfile
from typing import Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from engage.accounts.http import organisation_of
from engage.accounts.models import Role, User
from engage.lib import dates
from engage.mel import services, sources
from engage.mel.dataset.submission import MONTH, UNREADABLE_ZIP

# A submission of 10 000 rows is about 3 MB of CSV; these limits leave room and stop a zip bomb.
MAX_UPLOAD_BYTES = 50 * 2**20
MAX_UNZIPPED_BYTES = 200 * 2**20


class MonthInput(forms.TextInput):
    """A month: the browser's month picker, or a text box where it has none (Firefox), whose
    placeholder says the format in the reader's letters, as the error message does."""

    input_type = "month"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        placeholder = pgettext_lazy("the format of a month", "YYYY-MM")
        super().__init__({"placeholder": placeholder, "pattern": r"\d{4}-\d{2}", **(attrs or {})})


def _clean_month(value: str) -> str:
    value = (value or "").strip()
    if value and not MONTH.match(value):
        raise forms.ValidationError(_("Enter a month as YYYY-MM, for example 2024-06."))
    if value:
        dates.validate_plausible_month(value)
    return value


class MonthField(forms.CharField):
    widget = MonthInput

    def clean(self, value: Any) -> str:
        return _clean_month(super().clean(value))


def this_month() -> str:
    return timezone.localdate().strftime("%Y-%m")


def last_month() -> str:
    today = timezone.localdate()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def months_before(end: str, count: int) -> str:
    """The first month of the `count` months that end with `end`."""
    year, month = (int(part) for part in end.split("-"))
    index = year * 12 + month - 1 - (count - 1)
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class ExportForm(forms.Form):
    """The period of the pilot's submission; `sha256` is the preview the admin checked."""

    period_end = MonthField(
        label=_("Period end"),
        help_text=_("The last month the submission covers (YYYY-MM). Nothing after it is counted."),
    )
    sha256 = forms.RegexField(regex=r"^[0-9a-f]{64}$", required=False, widget=forms.HiddenInput)


class LinkageRoundForm(forms.Form):
    """The key the pilots agreed among themselves for a round (never one the hub sends)."""

    name = forms.CharField(
        label=_("Round"),
        max_length=60,
        help_text=_("As the pilots call it, for example 2025 first half."),
    )
    key = forms.CharField(
        label=_("Round key"),
        strip=True,
        min_length=services.MIN_KEY_CHARACTERS,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "The key the pilots agreed among themselves for this round, at least 24 characters. "
            "It is kept encrypted on this instance and erased when you close the round; the "
            "network coordinator never receives it."
        ),
    )


class ImportForm(forms.Form):
    submission = forms.FileField(
        label=_("Submission (.zip)"),
        help_text=_("A .zip holding cases.csv and manifest.json, as a pilot exports it."),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )

    def clean_submission(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["submission"]
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        try:
            with zipfile.ZipFile(upload) as archive:
                unzipped = sum(info.file_size for info in archive.infolist())
        except UNREADABLE_ZIP:  # a zip version it does not know, a name in no encoding
            raise forms.ValidationError(
                _("This is not a .zip file. Upload the .zip of cases.csv and manifest.json.")
            ) from None
        if unzipped > MAX_UNZIPPED_BYTES:
            raise forms.ValidationError(_("The files in the .zip are larger than 200 MB."))
        upload.seek(0)
        return upload


LEVEL_CHOICES: list[tuple[str, str | Promise]] = [
    ("exact", _("Exact (network coordinator only, logged)")),
    ("network", _("Network: counts 1 to 4 shown as <5")),
    ("public", _("Public: counts 1 to 9 shown as <10")),
]
SOURCE_CHOICES = [
    ("auto", _("Each pilot from its own source (chosen below)")),
    ("imported", _("Imported submissions")),
    ("live", _("Live cases of this instance")),
]
PILOT_SOURCE_CHOICES = [
    ("", _("Automatic: live cases here, unless a submission reaches the period's end")),
    ("live", _("Live cases of this instance")),
    ("imported", _("Imported submission")),
]
PILOT_SOURCE_PREFIX = "from_"


def add_pilot_sources(form: forms.Form, codes: list[str]) -> None:
    """A choice of source for each pilot (the network coordinator's)."""
    for code in codes:
        form.fields[PILOT_SOURCE_PREFIX + code] = forms.ChoiceField(
            label=_("Data of %(pilot)s") % {"pilot": code},
            choices=PILOT_SOURCE_CHOICES,
            required=False,
        )


def pilot_sources(form: forms.Form) -> dict[str, str]:
    """The sources the coordinator chose, by pilot (the others: automatic)."""
    data = form.cleaned_data if form.is_valid() else {}
    return {
        name.removeprefix(PILOT_SOURCE_PREFIX): value
        for name, value in data.items()
        if name.startswith(PILOT_SOURCE_PREFIX) and value
    }


# The downloads of a finished report, as its page offers them.
FORMAT_CHOICES = [
    ("html", _("HTML")),
    ("pdf", _("PDF")),
    ("xlsx", _("Spreadsheet (XLSX)")),
    ("json", _("JSON (the network's data format)")),
]


def levels_for(user: User) -> list[tuple[str, str | Promise]]:
    if user.role == Role.NETWORK_COORDINATOR:
        return LEVEL_CHOICES
    return [choice for choice in LEVEL_CHOICES if choice[0] != "exact"]


class ReportForm(forms.Form):
    """The options of `engage mel_report` (but the format: the report's page offers each).
    Pilot staff get their own pilot's live figures."""

    start = MonthField(label=_("From (month)"))
    end = MonthField(label=_("To (month)"))
    pilots = forms.MultipleChoiceField(
        label=_("Pilots"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every pilot of the source."),
    )
    source = forms.ChoiceField(label=_("Data"), choices=SOURCE_CHOICES)
    baseline_start = MonthField(label=_("Baseline from (optional)"), required=False)
    baseline_end = MonthField(
        label=_("Baseline to (optional)"),
        required=False,
        help_text=_(
            "Without a baseline, growth compares with the period of the same length just before."
        ),
    )
    disclosure = forms.ChoiceField(label=_("Disclosure level"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        disclosure = cast(forms.ChoiceField, self.fields["disclosure"])
        disclosure.choices = levels_for(user)
        disclosure.initial = "network"
        self.fields["end"].initial = last_month()
        self.fields["start"].initial = months_before(last_month(), 12)
        if user.role == Role.NETWORK_COORDINATOR:
            codes = sorted(set(services.default_pilots("imported"))
                           | set(services.default_pilots("live")))  # fmt: skip
            pilots = cast(forms.MultipleChoiceField, self.fields["pilots"])
            pilots.choices = [(code, code) for code in codes]
            self.fields["source"].initial = "auto"
            add_pilot_sources(self, codes)
        else:
            # Fixed for an organisation's staff: their own pilot, from live cases.
            del self.fields["pilots"]
            del self.fields["source"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end comes before the start."))
        baseline_start, baseline_end = data.get("baseline_start"), data.get("baseline_end")
        if bool(baseline_start) != bool(baseline_end):
            field = "baseline_end" if baseline_start else "baseline_start"
            self.add_error(field, _("Give both baseline months, or neither."))
        elif baseline_start and baseline_end and baseline_start > baseline_end:
            self.add_error("baseline_end", _("The end comes before the start."))
        if self.user.role != Role.NETWORK_COORDINATOR:
            data["pilots"] = [organisation_of(self.user).code]
            data["source"] = "live"
        return data


class DashboardForm(forms.Form):
    """The period of a dashboard (GET), and for the coordinator the disclosure level."""

    start = MonthField(label=_("From (month)"), required=False)
    end = MonthField(label=_("To (month)"), required=False)
    disclosure = forms.ChoiceField(label=_("Disclosure level"), required=False)

    def __init__(self, *args: Any, user: User, default_end: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_end = default_end
        self.fields["end"].initial = default_end
        self.fields["start"].initial = months_before(default_end, 12)
        # Network level first: it is what the dashboard shows unless exact is chosen.
        choices = [c for c in reversed(levels_for(user)) if c[0] in ("exact", "network")]
        disclosure = cast(forms.ChoiceField, self.fields["disclosure"])
        disclosure.choices = choices
        disclosure.initial = "network"
        if len(choices) == 1:
            del self.fields["disclosure"]
        if user.role == Role.NETWORK_COORDINATOR:
            add_pilot_sources(self, sources.default_pilots(sources.AUTO))

    def period(self) -> tuple[str, str, str]:
        """(start, end, level) chosen, or the defaults: the 12 months up to `default_end`."""
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or self.default_end
        start = data.get("start") or months_before(end, 12)
        if start > end:
            start = months_before(end, 12)
        return start, end, data.get("disclosure") or "network"
