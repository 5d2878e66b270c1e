# Contacts become minute and session records and today's counters, identically under both runtimes.
import struct

from anklet import packets
from anklet.activity import Activity


class Sink:
    def __init__(self):
        self.records = []

    def append(self, body):
        self.records.append(bytes(body).hex())


sink = Sink()
act = Activity(sink, boot_id=4, min_session_contacts=10)
t = 30000
for i in range(40):  # 44 s backward, toe first, a contact every 1.1 s
    act.contact(t, 1, packets.STRIKE_TOE if i % 4 else packets.STRIKE_HEEL)
    t += 1100
for _ in range(30):  # forward, heel first, every 1.0 s
    act.contact(t, 0, packets.STRIKE_HEEL)
    t += 1000
print(act.contacts, act.backward, act.toe_first, act.steps(), act.cadence_spm, act.active_ms_today, act.state())
act.tick(t + 400000)  # long pause: minutes and the session close
print(act.state(), len(sink.records))
for record in sink.records:
    print(record)
act.set_wall_offset(1767225600 - 1000)
act.contact(1000000, 1, packets.STRIKE_FLAT)
act.contact(1001000, 1, packets.STRIKE_UNKNOWN)
act.flush()  # too short for a session; the minute is written
print(sink.records[-1])
print(len(sink.records), act.contacts)

# Today's counters carried over a reset, then counting on; the long-press reset zeroes them.
carried = Activity(Sink(), boot_id=9)
carried.restore_today(5000, 40, 25, 20, 61000)
carried.contact(6000, 1, packets.STRIKE_TOE)
print(carried.contacts, carried.backward, carried.toe_first, carried.active_ms_today)
carried.reset_today()
print(carried.contacts, carried.backward, carried.toe_first, carried.active_ms_today, carried.cadence_spm)

# toe_first counts every toe-first contact, forward ones too (as the detector's counter does).
both = Activity(Sink(), boot_id=10)
both.contact(1000, 0, packets.STRIKE_TOE)
both.contact(2000, 1, packets.STRIKE_TOE)
both.contact(3000, 1, packets.STRIKE_HEEL)
print(both.contacts, both.backward, both.toe_first)

# Slow backward walking (40 steps/min: 3 s between contacts of this foot) is walking time, not idle gaps.
slow = Activity(Sink(), boot_id=11)
for k in range(5):
    slow.contact(1000 + 3000 * k, 1, packets.STRIKE_TOE)
print(slow.active_ms_today, slow.cadence_spm)

# Contacts reach the log up to a stride late: the live tick at 60.5 s must not close minute 0 before the contact of
# 59.2 s arrives, and a contact later than the grace counts in the next minute. One record per minute.
late = Activity(Sink(), boot_id=12)
late.contact(58000, 1, packets.STRIKE_TOE)
late.tick(60500)
late.contact(59200, 1, packets.STRIKE_TOE)
late.tick(61500)
late.contact(61000, 0, packets.STRIKE_HEEL)
late.tick(69000)
late.contact(59900, 1, packets.STRIKE_TOE)
late.tick(200000)
minutes = [struct.unpack(packets.FMT_MINUTE, bytes.fromhex(r)) for r in late.sink.records]
print(len(late.sink.records), [(m[2], m[3], m[7]) for m in minutes])  # t_min, forward heel, backward toe
