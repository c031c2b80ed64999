"""Run the supplier-profile worker: `python -m services.profiles.main` (its page on PROFILES_HTTP_PORT)."""

from __future__ import annotations

import sys

from plumbing.logs import configure_logging
from services.profiles.config import ProfilesSettings
from services.profiles.worker import build


def main() -> None:
    settings = ProfilesSettings()
    configure_logging("profiles", settings.log_level)
    app = build(settings)
    sys.argv = [sys.argv[0], "worker", "--loglevel", settings.log_level.lower()]
    app.main()


if __name__ == "__main__":
    main()
