from django.core.management.base import BaseCommand

from engage.sharing.services import produce_queued


class Command(BaseCommand):
    help = (
        "Produce the queued shares, checking consent again first (a withdrawn or expired "
        "consent cancels them). Safe to run at any time, e.g. every minute from cron."
    )

    def handle(self, *args, **options):
        counts = produce_queued()
        self.stdout.write(
            f"{counts['produced']} share(s) produced, {counts['cancelled']} cancelled."
        )
