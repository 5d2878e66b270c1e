# Advertising payloads: byte-exact and within 31 bytes under both Pythons, long names shortened.
from anklet.ble import adv

for name in ("anklet", "anklet-1234", "x" * 40):
    payload = adv.advertising_payload(name)
    response = adv.scan_response_payload(name)
    print(len(payload), payload.hex())
    print(len(response), response.hex())
