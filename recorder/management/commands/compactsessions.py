from django.core.management.base import BaseCommand, CommandError

from recorder.compaction import session_compact, sessions_compact


class Command(BaseCommand):
    help = "Compact finished sessions (and the older chunks of live ones) into segments; or the sessions named, whole."

    def add_arguments(self, parser):
        parser.add_argument("--session", action="append", default=[],
                            help="Compact this session's stored chunks, whatever its state; may be given again.")

    def handle(self, *args, session=(), **options):
        if not session:
            report = sessions_compact()
            self.stdout.write(f"Made {report['segments']} segment{'s' if report['segments'] != 1 else ''}.")
            if report["skipped"]:
                self.stderr.write(f"Skipped {report['skipped']} session{'s' if report['skipped'] != 1 else ''} "
                                  "that cannot be compacted (the log names each, with its error).")
            return
        made, failed = 0, []
        for session_id in session:  # one that fails (storage down) leaves its chunks as they were; go on
            try:
                made += session_compact(session_id=session_id)
            except Exception as error:  # noqa: BLE001 - reported below, and the command fails
                failed.append(f"{session_id}: {type(error).__name__}: {error}")
        self.stdout.write(f"Made {made} segment{'s' if made != 1 else ''}.")
        if failed:
            raise CommandError(f"{len(failed)} of {len(session)} sessions could not be compacted:\n" + "\n".join(failed))
