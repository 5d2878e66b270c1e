"""The virtual anklet's simulated hardware, written to run both under CPython and inside MicroPython.

`clock` is a virtual microsecond clock, `i2c` a bus with `machine.I2C`'s method names and fault injection, and
`chips` register-level models of the supported accelerometers. The virtual anklet copies this folder into the VM's
``/lib`` so the unchanged firmware drivers talk to these models. Nothing here imports numpy or uses syntax
MicroPython lacks (no ``from __future__``; annotations only as plain names, typing names under ``TYPE_CHECKING``).
"""
