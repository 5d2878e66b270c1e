# Bounded-rate saves, atomic replace, torn/foreign files rejected, boot counting.
import os

from anklet.app.persist import STATE_BYTES, PersistedState, wear_per_day

path = "/tmp/anklet-scenario-state.bin"
s = PersistedState(path, min_interval_ms=1000)
s.contacts = 12
s.backward = 7
print(s.maybe_save(0), s.maybe_save(10), s.writes)
s.backward = 8
s.mark_dirty()
print(s.maybe_save(500), s.maybe_save(500, force=True), s.maybe_save(2000), s.writes)
again = PersistedState(path)
print(again.load(), again.contacts, again.backward, again.boot_count, STATE_BYTES)
with open(path, "rb") as f:
    data = f.read()
torn = PersistedState(path)
print(torn.unpack(data[:-1]), torn.unpack(data[:10] + bytes([data[10] ^ 1]) + data[11:]), torn.contacts)
os.remove(path)
fresh = PersistedState(path)
print(fresh.load(), fresh.contacts, fresh.boot_count)
print(wear_per_day(60000, 2))
