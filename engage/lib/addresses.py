"""The address of a URL name that takes no argument, reversed once and kept.

Such an address is the same for every request with the same script prefix and URLconf, both
in the key of what is kept. Every signed-in page links to some thirty of them (its frame: the
navigation, the account's links, the language switcher, the session notice), and Django's
`reverse` took about two milliseconds of each page to find them again (issue 17). Names that
take arguments (a case's page) are reversed as usual: their addresses are as many as the
records.
"""

import functools

from django.urls import URLResolver, get_resolver, get_script_prefix, get_urlconf, reverse


def address(name: str) -> str:
    """`reverse(name)` for a name without arguments, kept."""
    urlconf = get_urlconf()
    return _kept(name, get_script_prefix(), urlconf, get_resolver(urlconf))


@functools.lru_cache(maxsize=256)
def _kept(name: str, prefix: str, urlconf: str | None, resolver: URLResolver) -> str:
    # The URLconf's resolver is in the key: another URLconf (a request's own, or settings
    # changed by a test, which empties Django's cache of resolvers) is another resolver. Held
    # by this cache, its identity is never reused by another while kept.
    return reverse(name, urlconf=urlconf)
