# Debounce, short press on release, long press once while held; bounce shorter than the debounce is ignored.
from anklet.app.button import ButtonGestures

b = ButtonGestures(debounce_ms=30, long_press_ms=2000)
log = []
t = 0
for pressed, dt in ((False, 100), (True, 10), (False, 10), (True, 40), (False, 300), (True, 2500), (False, 100)):
    end = t + dt
    while t < end:
        g = b.update(pressed, t)
        if g:
            log.append((t, g))
        t += 5
print(log)
