"""The address of a URL name that takes no argument, reversed once and kept.

Such an address is the same for every request with the same script prefix and URLconf, both
in the key of what is kept. Every signed-in page links to some thirty of them (its frame: the
navigation, the account's links, the language switcher, the session notice), and Django's
`reverse` took about two milliseconds of each page to find them again (issue 17). Names that
take arguments (a case's page) are reversed as usual: their addresses are as many as the
records.
"""

import functools
from collections.abc import Iterable

from django.urls import URLResolver, get_resolver, get_script_prefix, get_urlconf, reverse


def address(name: str) -> str:
    """`reverse(name)` for a name without arguments, kept."""
    return addresses((name,))[0]


def addresses(names: Iterable[str]) -> list[str]:
    """`address` of each name, the request's script prefix and URLconf looked up once."""
    urlconf = get_urlconf()
    prefix, resolver = get_script_prefix(), get_resolver(urlconf)
    return [_kept(name, prefix, urlconf, resolver) for name in names]


@functools.lru_cache(maxsize=256)
def _kept(name: str, prefix: str, urlconf: str | None, resolver: URLResolver) -> str:
    # The URLconf's resolver is in the key: another URLconf (a request's own, or settings
    # changed by a test, which empties Django's cache of resolvers) is another resolver. Held
    # by this cache, its identity is never reused by another while kept.
    return reverse(name, urlconf=urlconf)
