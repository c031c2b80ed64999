"""Run the supplier-profile worker: `python -m services.profiles.main` (its page on PROFILES_HTTP_PORT)."""

from __future__ import annotations

import asyncio
import sys

from plumbing.messaging.provisioning import wait_for_topics
from plumbing.messaging.streams import declare_topics
from plumbing.ops.logs import configure_logging
from services.profiles.config import ProfilesSettings
from services.profiles.worker import build, subscribed_topics


def main() -> None:
    settings = ProfilesSettings()
    configure_logging("profiles", settings.log_level)
    topics = asyncio.run(declare_topics(build(settings), subscribed_topics(settings)))
    wait_for_topics(settings.kafka(), topics)  # in the metadata the worker starts with
    app = build(settings)
    sys.argv = [sys.argv[0], "worker", "--loglevel", settings.log_level.lower()]
    app.main()


if __name__ == "__main__":
    main()
