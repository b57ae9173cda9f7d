"""Time an import of N rows (default 10,000): checking, then storing in one transaction.

    DATABASE_URL=... .venv/bin/python bench/import_bench.py [N]

Runs against a throw-away test database (pytest-django's), prints seconds per phase.
"""

import sys
import time

import pytest


def main() -> int:
    count = sys.argv[1] if len(sys.argv) > 1 else "10000"
    return pytest.main(
        ["-q", "-p", "no:cacheprovider", "-s", __file__ + "::test_bench", "--count", count]
    )


@pytest.mark.django_db
def test_bench(organisation, alice, ada, request):
    from engage.imports import services
    from tests.imports.test_import import _big_file, mapping_for

    count = int(request.config.getoption("--count", 10_000))
    data = _big_file(count)
    started = time.perf_counter()
    job = services.upload(organisation, by=ada, filename="bench.csv", data=data)
    uploaded = time.perf_counter()
    services.check_job(job, by=ada, mapping=mapping_for(organisation))
    checked = time.perf_counter()
    services.queue(job, by=ada)
    services.run_job(job.pk)
    stored = time.perf_counter()
    job.refresh_from_db()
    if job.created_count != count:
        raise RuntimeError(f"{job.created_count} stored of {count}")
    print(
        f"\n{count} rows: read {uploaded - started:.2f}s, check (preview) "
        f"{checked - uploaded:.2f}s, run_job (check again + store) {stored - checked:.2f}s"
    )


if __name__ == "__main__":
    sys.exit(main())
