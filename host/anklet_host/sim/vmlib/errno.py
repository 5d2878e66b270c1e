# mypy: ignore-errors
# (MicroPython code that runs inside the simulated board, not on the host: imports stay lazy to keep boots
# light, module state is global as in the ESP32 port's own modules, % formatting as MicroPython prefers.)
"""errno as an ESP32 has it (py/mperrno.h numbers): the WebAssembly port's own module has WASI numbers, which would
not match the OSError numbers the simulated flash and I2C raise."""

EPERM = 1
ENOENT = 2
EIO = 5
EBADF = 9
EAGAIN = 11
ENOMEM = 12
EACCES = 13
EEXIST = 17
ENODEV = 19
ENOTDIR = 20
EISDIR = 21
EINVAL = 22
ENOSPC = 28
ENOTEMPTY = 90
EOPNOTSUPP = 95
ETIMEDOUT = 116
EINPROGRESS = 119
ECONNRESET = 104
ENOTCONN = 128
EALREADY = 120

errorcode = {
    EPERM: "EPERM",
    ENOENT: "ENOENT",
    EIO: "EIO",
    EBADF: "EBADF",
    EAGAIN: "EAGAIN",
    ENOMEM: "ENOMEM",
    EACCES: "EACCES",
    EEXIST: "EEXIST",
    ENODEV: "ENODEV",
    ENOTDIR: "ENOTDIR",
    EISDIR: "EISDIR",
    EINVAL: "EINVAL",
    ENOSPC: "ENOSPC",
    ENOTEMPTY: "ENOTEMPTY",
    EOPNOTSUPP: "EOPNOTSUPP",
    ETIMEDOUT: "ETIMEDOUT",
    EINPROGRESS: "EINPROGRESS",
    ECONNRESET: "ECONNRESET",
    ENOTCONN: "ENOTCONN",
    EALREADY: "EALREADY",
}
