# Append, evict, acknowledge, reopen and recover from a torn last record: same results under both runtimes.
import os

from anklet import packets as p
from anklet.flashlog import FRAME_SIZE, FlashLog

ROOT = "/tmp"
FOLDER = ROOT + "/anklet-portable-flashlog"
try:  # noqa: SIM105 - MicroPython has no contextlib
    os.mkdir(ROOT)
except OSError:
    pass
try:
    for name in os.listdir(FOLDER):
        os.remove(FOLDER + "/" + name)
except OSError:
    pass

body = bytearray(p.RECORD_SIZE)


def add(log, n):
    p.pack_minute_into(body, 0, 0, 3, n, n % 9, 1, 0, n % 4, 2, 0, 96, 40)
    return log.append(body)


def seqs(log):
    out = []
    s = log.read_into(1, body)
    while s:
        out.append(s)
        s = log.read_into(s + 1, body)
    log.close()
    return out


log = FlashLog(FOLDER, max_bytes=6 * FRAME_SIZE * 4, segment_bytes=FRAME_SIZE * 4)
print([add(log, n) for n in range(1, 23)])
print(sorted(n for n in os.listdir(FOLDER) if n[0] == "s"))
print(log.ack(5), log.oldest_seq(), log.newest_seq(), log.evicted)
print([add(log, n) for n in range(23, 31)], log.evicted, log.oldest_seq())
log.close()
log = FlashLog(FOLDER, max_bytes=6 * FRAME_SIZE * 4, segment_bytes=FRAME_SIZE * 4)
print(log.acked_seq, log.evicted, seqs(log))
for cut in (0, 1, 5, 19, 20, 23):
    add(log, 31)
    log.close()
    path = FOLDER + "/s0000001d"
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[: len(data) - FRAME_SIZE + cut])
    log = FlashLog(FOLDER, max_bytes=6 * FRAME_SIZE * 4, segment_bytes=FRAME_SIZE * 4)
    print(cut, log.next_seq, seqs(log)[-2:], os.stat(path)[6])
print(log.read_into(30, body), bytes(body).hex())
for name in os.listdir(FOLDER):
    os.remove(FOLDER + "/" + name)
os.rmdir(FOLDER)
