# The device side of sync: commands in, packets out, through the notify queue, against a small in-memory log.
from anklet import packets
from anklet.ble.notifyq import NotifyQueue
from anklet.ble.sync import SyncServer


class Log:
    def __init__(self, n, evicted):
        self.first = evicted + 1
        self.next_seq = n + 1
        self.acked_seq = 0
        self.evicted = evicted

    def oldest_seq(self):
        return self.first

    def newest_seq(self):
        return self.next_seq - 1

    def read_into(self, seq, buf, offset):
        seq = max(seq, self.first)
        if seq >= self.next_seq:
            return 0
        packets.pack_minute_into(buf, offset, 1, 3, 1000 + seq, seq % 7, 0, 0, seq % 5, 1, 0, 100, 60)
        return seq

    def ack(self, seq):
        self.acked_seq = seq


class Stack:
    def __init__(self):
        self.out = []

    def gatts_notify(self, conn, handle, data):
        self.out.append(bytes(data))


def control(op, arg):
    buf = bytearray(packets.CONTROL_SIZE)
    packets.pack_control_into(buf, op, arg)
    return bytes(buf)


log = Log(9, 2)
queue = NotifyQueue(4, 64)
server = SyncServer(log, queue, 42, lambda: (3, 120, 0))
stack = Stack()
server.command(control(packets.OP_STATUS, 0), 20)
server.command(control(packets.OP_TIME, 0), 20)
server.command(b"\x14\x09", 20)  # malformed: counted and ignored
server.command(control(packets.OP_REQUEST, 1), 50)  # 3 records per packet
while server.busy():
    server.pump()
    queue.drain(stack, 0)
for data in stack.out:
    print(data.hex())
server.command(control(packets.OP_ACK, 9), 20)
server.pump()
print(log.acked_seq, server.bad_commands, server.records_sent, server.busy())
server.command(control(packets.OP_SET_CLOCK, 1700000000), 20)
print(server.take_clock(), server.take_clock())
