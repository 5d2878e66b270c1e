"""Board entry point: MicroPython runs this after boot.py. The application lives in anklet.app.main."""

from anklet.app.main import run

run()
