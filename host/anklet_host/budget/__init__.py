"""make budget: memory and CPU of the firmware as an ESP32 has them"""
