"""The anklet's Bluetooth LE side: UUIDs shared with the host (``uuids``) and the GATT server (``peripheral``).

``peripheral`` runs on MicroPython's low-level ``bluetooth`` module (and, in the tests, on the host's bumble-backed
implementation of that same API); ``uuids`` and ``adv`` import no hardware module and run anywhere.
"""
