"""Register-level models of the supported accelerometers, one module per chip family, sharing `base.ChipModel`.

`model_for(chip_name, clock, source, address)` builds the model a board file names (the same chip names as
``anklet.drivers.CHIPS``).
"""

from .adxl345 import ADXL345Model
from .base import ChipModel
from .lis3dh import LIS3DHModel
from .lsm6ds import LSM6DS3Model, LSM6DSOXModel
from .mpu6050 import MPU6050Model, MPU6886Model
from .sources import ArraySource, ConstantSource

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..clock import VirtualClock
    from .base import SampleSource

MODELS = {
    "adxl345": ADXL345Model,
    "lis3dh": LIS3DHModel,
    "lsm6ds3": LSM6DS3Model,
    "lsm6dsox": LSM6DSOXModel,
    "mpu6050": MPU6050Model,
    "mpu6886": MPU6886Model,
}


def model_for(
    chip_name: str, clock: "VirtualClock", source: "SampleSource | None" = None, address: int = -1
) -> ChipModel:
    """The model of ``chip_name`` on ``clock``, fed by ``source`` (still, gravity on +z, if None)."""
    cls = MODELS.get(chip_name)
    if cls is None:
        raise ValueError(f"no model for chip {chip_name!r}")
    return cls(clock, source, address)


__all__ = [
    "MODELS",
    "ADXL345Model",
    "ArraySource",
    "ChipModel",
    "ConstantSource",
    "LIS3DHModel",
    "LSM6DS3Model",
    "LSM6DSOXModel",
    "MPU6050Model",
    "MPU6886Model",
    "model_for",
]
