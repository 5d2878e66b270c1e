"""The application on the board: asyncio tasks for sampling, status LED, button, battery, power and persistence.

`firmware/main.py` starts it with ``anklet.app.main.run()``. The pure-logic parts (button gestures, battery curve,
persisted counters) run anywhere; the modules that touch pins import ``machine``.
"""
