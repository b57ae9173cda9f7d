"""Django's own words on the password forms, said in the network's words.

Django draws the password forms' labels and its validators' messages from its own catalogues,
which do not always say "password" as Engage's pages do: Django's Greek writes "συνθηματικό"
under an Engage heading that writes "κωδικός" ("Αλλαγή κωδικού" over "Παλιό συνθηματικό").
Named here, these messages are in Engage's catalogues too, which Django reads before its own
(`LOCALE_PATHS`): each language keeps Django's translation unless the network's words differ.
Nothing calls this module; `makemessages` reads it.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

WORDS = (
    gettext_noop("Old password"),
    gettext_noop("New password"),
    gettext_noop("New password confirmation"),
    gettext_noop("Password confirmation"),
    gettext_noop("Enter the same password as before, for verification."),
    gettext_noop("Your old password was entered incorrectly. Please enter it again."),
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    gettext_noop("This password is entirely numeric."),
    gettext_noop("This password is too common."),
    # Django 5.2's wording (`%d`), which its own Italian and Dutch catalogues do not have yet:
    # without it here, the error was English in every language.
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "min_length",
    ),
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        "min_length",
    ),
)
