# The notify queue: order kept, a refused notification retried, a full queue counted as dropped.
from anklet.ble.notifyq import NotifyQueue


class Stack:
    def __init__(self):
        self.refuse = 0
        self.out = []

    def gatts_notify(self, conn, handle, data):
        if self.refuse:
            self.refuse -= 1
            raise OSError(12)
        self.out.append((conn, handle, bytes(data)))


q = NotifyQueue(3, 8)
stack = Stack()
print(q.put(7, b"abc", 3), q.put(8, b"defgh", 5), q.put(7, b"ij", 2), q.put(9, b"k", 1))
print(len(q), q.free(), q.dropped)
stack.refuse = 1
print(q.drain(stack, 1), len(q))
print(q.drain(stack, 1), len(q))
buf = q.reserve()
buf[0] = 0x41
q.commit(5, 1)
print(q.drain(stack, 1), stack.out)
print(q.sent, q.sent_bytes)
