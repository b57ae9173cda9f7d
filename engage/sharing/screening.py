"""Screening the names of recipients against the organisation's list of enforcement bodies.

The kind of a recipient is what an admin chose, so a kind alone cannot keep data away from
immigration enforcement: "Immigration Office" entered as a health service would pass. So the
name is screened too, against built-in words (in the network's languages) and the
organisation's own list. A match is not a refusal (a "police medical service" may be fine),
but nothing is shared with the recipient until a second person, another admin or a
supervisor of the organisation, confirms it is not an enforcement body. The same holds for a
recipient whose kind was corrected away from immigration enforcement.

The check is made from the name and kind at the moment of every consent, share and
hand-over (not from a flag stored when the recipient was saved), so a recipient written by any
path is screened, and a confirmation holds for the name and kind it was given for only.
"""

import functools
import re
import unicodedata
from collections.abc import Iterable
from uuid import UUID

from engage.sharing.models import EnforcementBody, Recipient, RecipientType

# Words of enforcement bodies, screened in every organisation; the organisation adds its own.
BUILT_IN = (
    # English
    "police",
    "border guard",
    "border force",
    "border control",
    "coast guard",
    "immigration office",
    "immigration service",
    "immigration enforcement",
    "immigration police",
    "immigration and customs",
    "aliens police",
    "aliens office",
    "foreigners police",
    "detention centre",
    "detention center",
    "removal centre",
    "deportation",
    "removals",
    "home office",
    "ministry of interior",
    "ministry of the interior",
    "interior ministry",
    "home affairs",
    "migration directorate",
    "gendarmerie",
    "carabinieri",
    "frontex",
    # French, Dutch, German, Italian
    "office des etrangers",
    "police des etrangers",
    "centre de retention",
    "centre ferme",
    "dienst vreemdelingenzaken",
    "vreemdelingenpolitie",
    "politie",
    "polizei",
    "auslanderbehorde",
    "bundespolizei",
    "polizia",
    "questura",
    "guardia di finanza",
    # Bulgarian, Greek, Polish
    "полиция",
    "гранична полиция",
    "дирекция миграция",
    "министерство на вътрешните работи",
    "мвр",
    "αστυνομια",
    "λιμενικο",
    "straz graniczna",
    "policja",
)

# Cyrillic and Greek letters that look like Latin ones, mapped so that "Police" written with a
# Cyrillic "o" (U+043E) still matches. Escapes, so that the source shows what they are.
_CONFUSABLES = str.maketrans(
    {
        "\u0430": "a",
        "\u0432": "b",
        "\u0435": "e",
        "\u043a": "k",
        "\u043c": "m",
        "\u043d": "h",
        "\u043e": "o",
        "\u0440": "p",
        "\u0441": "c",
        "\u0442": "t",
        "\u0443": "y",
        "\u0445": "x",
        "\u0456": "i",
        "\u0458": "j",
        "\u0455": "s",
        "\u03b1": "a",
        "\u03bf": "o",
        "\u03c1": "p",
        "\u03bd": "v",
        "\u03c4": "t",
        "\u03b9": "i",
        "\u03ba": "k",
        "\u0142": "l",
        "\u00df": "ss",
        "0": "o",
        "1": "l",
    }
)


# Digits and signs written for letters ("Pol1ce", "Off!ce", "Po|ice"): the name is read once
# with each of these maps too, since a 1 or a | stands for an i as often as for an l.
_LETTER_SIGNS = (
    str.maketrans({"1": "i", "!": "i", "|": "i", "3": "e", "4": "a", "@": "a", "5": "s"}),
    str.maketrans({"$": "s", "7": "t", "1": "i", "|": "i"}),
    str.maketrans({"1": "l", "!": "l", "|": "l"}),
    str.maketrans({"1": "i", "!": "i", "|": "l"}),
)


def normalise(text: str) -> str:
    """Lower case, accents off, look-alike letters mapped, anything else a single space."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.translate(_CONFUSABLES)
    return " ".join(re.findall(r"\w+", text))


# The terms' readings kept: every recipient's screening read the same built-in and
# organisation's terms again (the supervisor's home screens the organisation's recipients on
# each request). Only the terms: the names screened are not kept.
_normalised_term = functools.lru_cache(maxsize=1024)(normalise)


def terms_for(organisation_id: UUID) -> list[str]:
    """The built-in words and the organisation's own entries."""
    own = EnforcementBody.objects.filter(organisation_id=organisation_id).values_list(
        "name", flat=True
    )
    return [*BUILT_IN, *own]


def match(name: str, terms: Iterable[str]) -> str:
    """The first term found in `name`, or "".

    Whole words, and also with spaces and punctuation left out for longer terms, so that
    "Immigration-Office" or "I.m.m.igration office" are found, and with digits and signs read
    as the letters they stand for ("Pol1ce"); a false alarm only asks for a second look.
    """
    readings = {normalise(name)} | {normalise(name.translate(signs)) for signs in _LETTER_SIGNS}
    spaced = [f" {reading} " for reading in readings]
    squeezed = [reading.replace(" ", "") for reading in readings]
    for term in terms:
        norm = _normalised_term(term)
        if not norm:
            continue
        if any(f" {norm} " in words for words in spaced):
            return term
        compact = norm.replace(" ", "")
        if len(compact) >= 6 and any(compact in letters for letters in squeezed):
            return term
    return ""


def warning(recipient: Recipient, terms: Iterable[str] | None = None) -> str:
    """Why `recipient` needs a second person's confirmation ("" when it does not).

    A recipient of the immigration enforcement kind needs none: nothing identifiable ever
    goes to it anyway.
    """
    if recipient.never_shared_with or recipient.confirmed:
        return ""
    if recipient.corrected_from == RecipientType.ENFORCEMENT:
        return "kind_corrected"
    found = match(
        recipient.name, terms if terms is not None else terms_for(recipient.organisation_id)
    )
    return f"name:{found}" if found else ""


def held(recipient: Recipient) -> bool:
    return bool(warning(recipient))


def waiting(organisation_id: UUID | None) -> list[tuple[Recipient, str]]:
    """The organisation's recipients that wait for a second person, with why."""
    if organisation_id is None:  # the network coordinator's: no organisation, no recipient
        return []
    terms = terms_for(organisation_id)
    return [
        (recipient, reason)
        for recipient in Recipient.objects.filter(organisation_id=organisation_id)
        if (reason := warning(recipient, terms))
    ]
