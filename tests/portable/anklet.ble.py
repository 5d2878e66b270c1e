# The BLE package imports without a radio (its portable parts run anywhere).
import anklet.ble

print(anklet.ble.__name__)
