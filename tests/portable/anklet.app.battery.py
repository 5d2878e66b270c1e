# The LiPo curve at its knots, between them, beyond both ends, and the divider.
from anklet.app.battery import cell_mv, percent_from_mv

print([percent_from_mv(mv) for mv in (4300, 4200, 4150, 3800, 3725, 3301, 3300, 3000)])
print(cell_mv(1900, 200))
