"""Forms of the members' feedback questionnaire (the rules are in `feedback.py`)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from engage.mel.cycles import feedback


class AnswerForm(forms.Form):
    """One radio group per statement of the questionnaire (named by the question's key, as the
    service's errors are), and the optional free text."""

    def __init__(self, *args: Any, questions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key in questions:
            self.fields[key] = forms.ChoiceField(
                label=feedback.question_text(key),
                choices=[(str(n), f"{n} · {feedback.SCALE_LABELS[n]}") for n in feedback.SCALE],
                widget=forms.RadioSelect(attrs={"class": "scale"}),
                error_messages={"required": _("Choose how far you agree, from 1 to 5.")},
            )
        self.fields["comment"] = forms.CharField(
            label=feedback.COMMENT_PROMPT,
            required=False,
            max_length=feedback.COMMENT_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 4}),
            help_text=_(
                "Optional. Please name no one, neither a colleague nor a client: the network "
                "coordinator reads these comments as they are written."
            ),
        )
        self.questions = questions

    @property
    def ratings(self) -> dict[str, str]:
        return {key: self.cleaned_data[key] for key in self.questions}


class CloseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "Yes, close the questionnaire: it takes no more answers, cannot be opened again, "
            "and its results are shown if enough members answered."
        ),
        error_messages={"required": _("Tick the box to confirm that you want to close it.")},
    )
