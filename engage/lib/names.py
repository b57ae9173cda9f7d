"""How a name is spelt for matching: in Latin letters, and by its sound.

Clients' names reach a case manager through interpreters, documents of several countries and
transliterations that differ (Мухаммед, Mohammed, Muhammad; Олександр, Aleksandr, Alexander;
Schröder, Schroeder). Search and the duplicate check compare names through keyed hashes only
(`engage.cases.search`), so the spellings must be brought together *before* hashing:

- `latin_forms(word)`: the word in lower-case ASCII Latin letters. Cyrillic, Greek and every
  other script go through AnyAscii (ISC licence; Unidecode is GPL), with three fixes where the
  common official romanisations differ from it: Greek omicron-upsilon is `ou` (ELOT 743), Bulgarian `ъ` is
  `a` and the soft sign is dropped. A German umlaut gives two forms (`ö` as `o` and as `oe`).
- `sound_key(form)`: a skeleton of consonants after a few rewrites, so that common variants of
  one name give one key (`mhmd` for Mohammed, Mohamed, Muhammad, Mohammad, Mukhammed, Mehmet;
  `alksndr` for Aleksandr, Alexander, Oleksandr, Aleksandar; `ysf` for Yusuf, Youssef, Jusuf,
  Iosif, Joseph). It is deliberately coarse (Mahmoud is also `mhmd`): it widens a search and
  raises a warning, and never decides anything alone. Keys shorter than three letters are not
  used (they would match half the caseload), except two for a word of five letters or more
  (Haddad, Khaddad: `hd`).

docs/search-index.md lists the rules with what they bring together and what they reveal.
"""

import re
import unicodedata

from anyascii import anyascii

# German spelling without umlauts (Schröder is also written Schroeder).
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
# Bulgarian romanisation (Александър: Aleksandar); the soft sign has no letter.
_CYRILLIC = str.maketrans({"ъ": "a", "ь": ""})
_GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")
_NOT_LATIN = re.compile(r"[^a-z0-9]")
_VOWELS = "aeiouy"
# Rewrites of the sound key, in this order (each sees the result of the previous ones).
SOUND_REWRITES = (
    ("sch", "sh"),
    ("ck", "k"),
    ("c", "k"),
    ("q", "k"),
    ("x", "ks"),
    ("ph", "f"),
    ("kh", "h"),
    ("gh", "g"),
    ("th", "t"),
    ("dh", "d"),
    ("w", "v"),
    ("z", "s"),
    ("ou", "u"),
    ("oo", "u"),
)
MIN_SOUND_KEY = 3


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def latin_forms(word: str) -> set[str]:
    """Return the lower-case ASCII spellings of one word of a name (empty if none)."""
    word = unicodedata.normalize("NFC", word.casefold())
    spellings = {word}
    if any(letter in word for letter in "äöü"):
        spellings.add(word.translate(_UMLAUTS))
    forms = set()
    for spelling in spellings:
        if _GREEK.search(spelling):
            # Accents say nothing about the letters; omicron-upsilon is one sound, `ou`.
            spelling = _strip_marks(spelling).replace("\u03bf\u03c5", "ou")
        latin = _NOT_LATIN.sub("", anyascii(spelling.translate(_CYRILLIC)).lower())
        if latin:
            forms.add(latin)
    return forms


def sound_key(form: str) -> str:
    """Return the sound key of a Latin form, or "" when it is too short to be useful."""
    key = form
    # A first j, i or gi before a vowel is a "y" sound in the transliterations we meet
    # (Jusuf, Iosif, Giorgos): one letter for it.
    if len(key) > 2 and key.startswith("gi") and key[2] in _VOWELS:
        key = "y" + key[2:]
    elif len(key) > 1 and key[0] in "jiy" and key[1] in _VOWELS:
        key = "y" + key[1:]
    for old, new in SOUND_REWRITES:
        key = key.replace(old, new)
    if key.endswith("t"):
        key = key[:-1] + "d"  # Mehmet, Mehmed; Ahmet, Ahmed
    if not key:
        return ""
    first = "a" if key[0] in "aeiou" else key[0]
    skeleton = first + "".join(letter for letter in key[1:] if letter not in _VOWELS)
    skeleton = re.sub(r"(.)\1+", r"\1", skeleton)
    # Two letters are enough only for a longer word (Haddad is "hd"; Ali would be "al").
    if len(skeleton) >= MIN_SOUND_KEY or (len(skeleton) == 2 and len(form) >= 5):
        return skeleton
    return ""


def name_words(*names: str) -> list[str]:
    """Split names into words as written (spaces, hyphens and apostrophes separate them)."""
    return [word for name in names for word in re.split(r"[\s\-'\u2019]+", name or "") if word]
