# The anklet's UUIDs: the same strings and advertising bytes under both Pythons.
from anklet.ble import uuids

for name in ("ANKLET_SERVICE", "LIVE_COUNTERS", "STEP_EVENTS", "SYNC_CONTROL", "SYNC_DATA", "SETTINGS", "RAW_STREAM"):
    print(name, getattr(uuids, name))
print(uuids.sig_uuid_str(uuids.RSC_MEASUREMENT))
print(uuids.sig_uuid_str(uuids.CURRENT_TIME))
print(uuids.uuid128_le_bytes(uuids.ANKLET_SERVICE).hex())
try:
    uuids.uuid128_le_bytes("1234")
except ValueError as exc:
    print("ValueError", exc)
