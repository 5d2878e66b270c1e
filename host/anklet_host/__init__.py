"""The laptop side of the anklet: the `anklet` command, trace analysis, sync, store, reports and the virtual anklet."""

from anklet import VERSION

__all__ = ["VERSION"]
