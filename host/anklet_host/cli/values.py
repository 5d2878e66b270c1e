"""Option values more than one command takes, checked the same way everywhere (argparse ``type=`` functions)."""

from __future__ import annotations

import argparse

from anklet.app.settings import Settings


def goal_minutes(text: str) -> int:
    """``--goal-min`` of `anklet settings` and `anklet report`: the anklet's own rule (`anklet.app.settings`)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not Settings.valid("goal_min", value):
        raise argparse.ArgumentTypeError(f"must be a whole number of minutes from 1 to 600, not {text!r}")
    return value
