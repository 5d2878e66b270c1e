"""Board entry point: MicroPython runs this after boot.py. The application lives in anklet.app.main."""

# Bluetooth first, while the Python heap is small: NimBLE takes its memory (~30 KB) from the system heap, which the
# ESP32's Python heap also grows into once it runs short. Turned on after the imports, it could find no room.
try:
    import bluetooth

    bluetooth.BLE().active(True)
except ImportError:
    pass  # a port without Bluetooth: the anklet still counts and logs

from anklet.app.main import run

run()
