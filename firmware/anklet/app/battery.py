"""Battery level from the ADC: millivolts at the pin, the board's divider, and a single-cell LiPo discharge curve.

The curve is the usual resting-voltage table of a 3.7 V LiPo cell (4.20 V full, about 3.30 V empty under light load),
interpolated linearly; integers only so it can run in any task.
"""

# (cell millivolts, percent), falling. A cell sagging under load reads a little low; good enough for a 0-100 gauge.
_CURVE_MV_PCT = (
    (4200, 100),
    (4100, 90),
    (4000, 79),
    (3900, 66),
    (3800, 52),
    (3750, 42),
    (3700, 30),
    (3650, 18),
    (3600, 10),
    (3500, 4),
    (3300, 0),
)


def cell_mv(pin_mv, divider_ratio_x100):
    """The cell voltage from the pin voltage; ``divider_ratio_x100`` is 200 for a 2:1 divider."""
    return pin_mv * divider_ratio_x100 // 100


def percent_from_mv(mv):
    """Charge estimate in percent (0-100) for a cell voltage in millivolts."""
    if mv >= _CURVE_MV_PCT[0][0]:
        return 100
    for i in range(1, len(_CURVE_MV_PCT)):
        hi_mv, hi_pct = _CURVE_MV_PCT[i - 1]
        lo_mv, lo_pct = _CURVE_MV_PCT[i]
        if mv >= lo_mv:
            return lo_pct + (mv - lo_mv) * (hi_pct - lo_pct) // (hi_mv - lo_mv)
    return 0
