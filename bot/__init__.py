"""Composition root of the resident bot: configuration, application, CLI, local Bot API server."""

import os

# python-telegram-bot 22 warns when it builds a RetryAfter unless durations are timedeltas
# (the coming default); opting in keeps 429 handling free of deprecation noise.
os.environ.setdefault("PTB_TIMEDELTA", "1")
