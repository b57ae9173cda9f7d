"""Search people by name, phone or document number through the blind index.

Each word of a name, the digits of a phone number and a document number are stored as keyed
hashes (`SearchToken`). A search hashes what was typed the same way: every word typed must
match a word of the person (so "amal journeytest", "Journeytest" and "AMAL" all find Amal
Journeytest). Matching is on whole words, not prefixes: that is the price of never comparing
identifying data in plaintext.
"""

import re
from collections.abc import Iterable

from engage.cases.models import Person, SearchToken
from engage.lib.crypto import blind_index, digits, name_tokens, normalise

MIN_PHONE_DIGITS = 6


def _document(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", normalise(text))


def _digests(person: Person) -> set[str]:
    found = {
        blind_index("name", token) for token in name_tokens(person.given_name, person.family_name)
    }
    if len(digits(person.phone or "")) >= MIN_PHONE_DIGITS:
        found.add(blind_index("phone", digits(person.phone)))
    if _document(person.document_number or ""):
        found.add(blind_index("document", _document(person.document_number)))
    return found


def index_people(people: Iterable[Person]) -> None:
    """(Re)build the search tokens of `people`; call it whenever their identity changes."""
    people = list(people)
    SearchToken.objects.filter(person__in=people).delete()
    SearchToken.objects.bulk_create(tokens_for(people), batch_size=500)


def tokens_for(people: Iterable[Person]) -> list[SearchToken]:
    """The search tokens of people not indexed yet (for bulk loads)."""
    return [
        SearchToken(person=person, organisation_id=person.organisation_id, digest=digest)
        for person in people
        for digest in sorted(_digests(person))
    ]


def _candidates(word: str) -> set[str]:
    found = {blind_index("name", token) for token in name_tokens(word)}
    if len(digits(word)) >= MIN_PHONE_DIGITS:
        found.add(blind_index("phone", digits(word)))
    if _document(word):
        found.add(blind_index("document", _document(word)))
    return found


def matching_people(organisation_id, query: str) -> set:
    """Return the ids of the organisation's people matching every word of `query`."""
    if re.fullmatch(r"[\d\s+()./-]+", query) and len(digits(query)) >= MIN_PHONE_DIGITS:
        words = [digits(query)]  # a phone number, however it is spaced
    else:
        words = [word for word in re.split(r"\s+", query.strip()) if word]
    matched: set | None = None
    for word in words:
        ids = set(
            SearchToken.objects.filter(
                organisation_id=organisation_id, digest__in=_candidates(word)
            ).values_list("person_id", flat=True)
        )
        matched = ids if matched is None else matched & ids
        if not matched:
            return set()
    return matched or set()
