"""Find people by name, phone or document number through keyed blind indexes.

Identifying fields are encrypted, so they cannot be searched in the database. Instead each
person has a set of keyed hashes (`SearchToken`, HMAC-SHA256 with `ENGAGE_INDEX_KEY`, kept out
of the database) of normalised pieces of their identity, and a search hashes what was typed
the same way and looks the hashes up. Nothing is ever decrypted to be searched.

The pieces, for each word of a name in each of its Latin spellings (`engage.lib.names`):

- `name`: the whole word (Мухаммед is `mukhammed`; Schröder is `schroder` and `schroeder`);
- `prefix`: every beginning of three to seven letters shorter than the word (`moh`, `moha`,
  … `mohamme`);
- `sound`: its sound key (`mhmd` for Mohammed, Muhammad, Mukhammed …);

and for the whole person:

- `phone`: the last nine digits of the phone number (so +359 88 … and 088 … meet);
- `document`: the letters and digits of the document number;
- `identity`: the sound keys of every word of the name, sorted, with the date of birth (the
  duplicate check at registration, `engage.cases.duplicates`).

Each hash is keyed for one organisation as well (the organisation's id is part of what is
hashed), so the same name in two organisations gives two unrelated hashes. Each person's
tokens are padded with random ones to a multiple of `PAD_TO`, so the number of rows does not
give the length of a name. docs/search-index.md says what the tokens reveal to someone who
holds the database without the key, and why that is acceptable.

A search matches a person when every word typed matches one of their tokens (a word, the
beginning of a word, or a word that sounds the same), as subqueries of the query that lists
what was searched for (`people_matching`).
"""

import datetime
import functools
import re
import secrets
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from anyascii import anyascii
from django.db import transaction
from django.db.models import Exists, Q, QuerySet

from engage.cases.models import Person, SearchToken
from engage.lib.bulk import Insert, prepare_values
from engage.lib.crypto import blind_index, digits, normalise
from engage.lib.names import latin_forms, name_words, sound_key

MIN_PHONE_DIGITS = 6
PHONE_DIGITS = 9  # the national number, without country code or trunk prefix
MIN_PREFIX = 3
# Beginnings up to seven letters: a longer word typed is looked up by its first seven (and as
# a whole word). Fewer tokens, and the number of a person's tokens then says little about the
# length of long names.
MAX_PREFIX = 7
PAD_TO = 8
MAX_WORDS = 8  # of a search: more is a pasted text, not a name


def digest(organisation_id: uuid.UUID, kind: str, value: str) -> str:
    """The organisation's keyed hash of one normalised piece of identity."""
    return blind_index(_label(organisation_id, kind), value)


@functools.lru_cache(maxsize=256)
def _label(organisation_id: uuid.UUID | str, kind: str) -> str:
    """What a hash of `kind` is labelled with: the organisation's id in its one form (an id
    may come as a UUID or as its text), made once, not for each of a caseload's tokens."""
    return f"{kind}@{uuid.UUID(str(organisation_id))}"


def _document(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", anyascii(normalise(text)).lower())


def _phone(text: str) -> str:
    number = digits(text)
    return number[-PHONE_DIGITS:] if len(number) >= MIN_PHONE_DIGITS else ""


def identity_key(given_name: str, family_name: str, born: datetime.date | str | None) -> str:
    """The name by sound, word by word, and the birth date: what makes two records likely the
    same client. The words are sorted: given and family names are often swapped in records."""
    if not born:
        return ""
    keys = []
    for word in name_words(given_name, family_name):
        forms = sorted(latin_forms(word), key=len)
        if forms:
            keys.append(sound_key(forms[0]) or forms[0])
    # A date, or its ISO text on a person built in memory and not read back.
    born = born.isoformat() if hasattr(born, "isoformat") else str(born)
    return f"{' '.join(sorted(keys))}|{born}" if keys else ""


def identity_digests(organisation_id: uuid.UUID, person: Mapping[str, Any]) -> dict[str, str]:
    """The hashes that flag a possible duplicate of `person` (a dict of the identity fields),
    each with the reason it stands for: `identity`, `document` or `phone`."""
    found = {}
    key = identity_key(
        person.get("given_name") or "",
        person.get("family_name") or "",
        person.get("date_of_birth"),
    )
    if key:
        found[digest(organisation_id, "identity", key)] = "identity"
    if document := _document(person.get("document_number") or ""):
        found[digest(organisation_id, "document", document)] = "document"
    if phone := _phone(person.get("phone") or ""):
        found[digest(organisation_id, "phone", phone)] = "phone"
    return found


def _word_pieces(word: str) -> set[tuple[str, str]]:
    pieces = set()
    for form in latin_forms(word):
        pieces.add(("name", form))
        pieces.update(
            ("prefix", form[:end]) for end in range(MIN_PREFIX, min(len(form), MAX_PREFIX + 1))
        )
        if key := sound_key(form):
            pieces.add(("sound", key))
    return pieces


def name_digests(organisation_id: uuid.UUID, *names: str) -> set[str]:
    """The hashes of the whole words of `names`, in every Latin spelling (the import's check
    for clients already registered)."""
    return {
        digest(organisation_id, "name", form)
        for word in name_words(*names)
        for form in latin_forms(word)
    }


def person_digests(person: Person) -> set[str]:
    """Every token of `person`, padded (a migration may pass a historical Person)."""
    org = person.organisation_id
    found = {
        digest(org, kind, value)
        for word in name_words(person.given_name, person.family_name)
        for kind, value in _word_pieces(word)
    }
    fields = {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "date_of_birth": person.date_of_birth,
        "document_number": person.document_number,
        "phone": person.phone,
    }
    found.update(identity_digests(org, fields))
    # Random padding: the number of a person's rows says nothing finer than PAD_TO.
    while len(found) % PAD_TO:
        found.add(secrets.token_hex(32))
    return found


def index_people(people: Iterable[Person]) -> None:
    """(Re)build the search tokens of `people`; call it whenever their identity changes."""
    people = list(people)
    SearchToken.objects.filter(person__in=people).delete()
    insert_tokens(people).run()


def insert_tokens(people: Iterable[Person]) -> Insert:
    """The INSERT of the search tokens of people not indexed yet, prepared (`run` it when the
    people are stored): as values, not `SearchToken` instances, since a caseload's import or
    the demo writes some 19 a person (`engage.lib.bulk.prepare_values`)."""
    return prepare_values(
        SearchToken,
        ("person", "organisation", "digest"),
        (
            (person.pk, person.organisation_id, value)
            for person in people
            if not person.erased_at
            # Sorted, so the order of the rows says nothing about which token is which.
            for value in sorted(person_digests(person))
        ),
    )


def reindex_everyone(batch: int = 500) -> int:
    """Rebuild every person's tokens (after the rules or ENGAGE_INDEX_KEY changed): a job of
    the whole instance, run by `engage reindex_search` and `engage rotate_keys`, which switch
    the organisation scope off for it (only commands may: .semgrep, scopes-disabled)."""
    count = 0
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        with transaction.atomic():
            index_people(Person.objects.filter(pk__in=ids[start : start + batch]))
        count += len(ids[start : start + batch])
    return count


def _query_words(query: str) -> list[str]:
    if re.fullmatch(r"[\d\s+()./-]+", query) and len(digits(query)) >= MIN_PHONE_DIGITS:
        return [digits(query)]  # a phone number, however it is spaced
    return [word for word in re.split(r"\s+", query.strip()) if word][:MAX_WORDS]


def _candidates(organisation_id: uuid.UUID, word: str, *, as_name: bool = True) -> set[str]:
    """The hashes a typed word matches: a whole word, the beginning of a word (`prefix` holds
    only the beginnings shorter than the word, so the word itself is looked up as both), a
    word that sounds the same, a phone or document number. Not `as_name`: the phone or
    document number only (a hyphenated word's parts are the name, its letters run together
    are no word anyone has)."""
    found = set()
    for form in latin_forms(word) if as_name else ():
        found.add(digest(organisation_id, "name", form))
        if len(form) >= MIN_PREFIX:
            found.add(digest(organisation_id, "prefix", form[:MAX_PREFIX]))
        if key := sound_key(form):
            found.add(digest(organisation_id, "sound", key))
    if phone := _phone(word):
        found.add(digest(organisation_id, "phone", phone))
    if document := _document(word):
        found.add(digest(organisation_id, "document", document))
    return found


def matching_people(organisation_id: uuid.UUID, query: str) -> set[uuid.UUID]:
    """Return the ids of the organisation's people matching every word of `query`
    (`people_matching`), in one query of the index alone."""
    tokens = SearchToken.objects.filter(organisation_id=organisation_id)
    matched = tokens.filter(people_matching(organisation_id, query, field="person_id"))
    return set(matched.values_list("person_id", flat=True).distinct())


def people_matching(
    organisation_id: uuid.UUID,
    query: str,
    *,
    field: str = "person_id",
    among: QuerySet[Any] | None = None,
) -> Q:
    """The condition on `field`, a person's id, that the organisation's people matching every
    word of `query` meet, for the query of what names a person (`Case`'s `person_id`).

    `among` (people's ids: those of the cases the reader may see) is where a long word is
    looked for whole before its beginning is (below): looked for in the whole organisation,
    a client of the reader's who matched by the beginning dropped out of the results exactly
    when someone else's client had the whole word, which told the reader that such a person
    exists outside their caseload.

    A word matches a word of the name, its beginning (three letters or more), a word that
    sounds the same, or the phone or document number. A word typed with hyphens or
    apostrophes (Dummett-Demo, O'Brien) also matches someone who has each of its parts, as
    names are indexed (`name_words`); whole, it still finds a document number (AB-123456).

    The index is searched in the database, in subqueries of the query this condition goes
    into, whatever was typed: a common name matches thousands of people in a national
    programme, and a page shows the few of them its reader may see.
    """
    words = _query_words(query)
    if not words:
        return Q(pk__in=[])
    parts = [_parts(word) for word in words]
    wanted = [
        _candidates(organisation_id, word, as_name=not each)
        for word, each in zip(words, parts, strict=True)
    ]
    part_digests = [[_candidates(organisation_id, part) for part in each] for each in parts]

    def having(word: str, digests: set[str]) -> Q:
        tokens = SearchToken.objects.filter(organisation_id=organisation_id)
        found = Q(**{f"{field}__in": tokens.filter(digest__in=digests).values("person_id")})
        if len(word) <= MAX_PREFIX:
            return found
        # A word longer than the stored beginnings: those who have it whole if anyone does;
        # otherwise its first letters or a word that sounds the same.
        whole = tokens.filter(digest__in=_exact(organisation_id, word) & digests)
        if among is not None:
            whole = whole.filter(person_id__in=among)
        return (Q(Exists(whole)) & Q(**{f"{field}__in": whole.values("person_id")})) | (
            ~Q(Exists(whole)) & found
        )

    matched = Q()
    for word, digests, word_parts, word_part_digests in zip(
        words, wanted, parts, part_digests, strict=True
    ):
        condition = having(word, digests)
        if word_parts:
            every_part = Q()
            for part, each in zip(word_parts, word_part_digests, strict=True):
                every_part &= having(part, each)
            condition |= every_part
        matched &= condition
    return matched


def _parts(word: str) -> list[str]:
    """The words of a name typed as one (Dummett-Demo), or [] when it is a single word."""
    parts = name_words(word)
    return parts if len(parts) > 1 else []


def _exact(organisation_id: uuid.UUID, word: str) -> set[str]:
    found = set()
    for form in latin_forms(word):
        found.add(digest(organisation_id, "name", form))
    return found
