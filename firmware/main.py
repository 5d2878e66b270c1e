"""Board entry point: MicroPython runs this after boot.py."""

import anklet

print("anklet firmware", anklet.VERSION)
