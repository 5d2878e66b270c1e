"""The laptop's Bluetooth LE side: the bleak client for anklets (``client``), a bleak backend on bumble (``backend``)
and bumble links without a radio (``inprocess``)."""
