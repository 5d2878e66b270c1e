// The virtual anklet's chip: one boot of the board, the real MicroPython (WebAssembly port) running the firmware.
//
// One Node process is one power-on-to-reset span, as on the board: every reset (soft, hard, watchdog, deep sleep,
// power cut) ends this process and the supervisor (board/supervisor.py) starts a fresh one with the same flash.
// That keeps every boot clean: no JS timers or proxies of an old VM can leak into the new one.
//
// Wire format, both directions (see board/frames.py, the one definition on the Python side):
//   frame = kind (1 byte: "c" console bytes, "j" one JSON object) + payload length (uint32 LE) + payload
// stdin carries frames from the supervisor (console input, host events); stdout carries frames to it (console
// output, board events). stdin is a non-blocking socket, so the VM can poll it synchronously while Python code
// runs (Ctrl-C, pin changes and BLE traffic reach a busy firmware the way interrupts reach a real one).
//
// The flash: the host folder is copied into MEMFS at /flash when the board boots; every file closed after writing,
// every mkdir/unlink/rmdir/rename is written straight back to the host folder (file contents by write-and-rename,
// so a power cut leaves either the old or the new file, as LittleFS does).
//
// Fault injection (a host event {"op": "flash_fault", "fault": {"path_suffix", "keep_bytes"}} or cfg.flash_fault): the
// next commit of a file whose path ends with path_suffix is torn, as raw flash is when power fails while it is being
// programmed, and the power goes: the host file gets the new content up to keep_bytes past its first changed byte and
// the old content after that (an append keeps the old bytes plus keep_bytes of the new ones), then this boot ends as
// a power cut ({"ev": "power_cut", ...}). Worse than LittleFS, which would leave the old or the new file whole.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmdirSync,
  statSync, unlinkSync, writeSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const runtimePath = process.argv[2];
const cfg = JSON.parse(process.argv[3]);
const { loadMicroPython } = await import(pathToFileURL(runtimePath).href);

const FLASH = "/flash";
const SIMLIB = "/_sim";
const FORCED_EXIT = 0x100; // pyexec's PYEXEC_FORCED_EXIT: Ctrl-D at the REPL or SystemExit

// ------------------------------------------------------------------------------------------------ frames to Python
let outBytes = [];
let lastOut = 0;
function writeFrame(kind, payload) {
  const head = Buffer.alloc(5);
  head.write(kind, 0, "latin1");
  head.writeUInt32LE(payload.length, 1);
  const data = Buffer.concat([head, payload]);
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(1, data, off);
    } catch (e) {
      if (e.code !== "EAGAIN") throw e;
    }
  }
}
function flushConsole() {
  if (outBytes.length) {
    const chunk = Buffer.from(outBytes);
    outBytes = [];
    writeFrame("c", chunk);
  }
}
// The board's UART output is "cooked" like the ESP32 port's: a bare LF goes out as CR LF.
function consoleByte(c) {
  if (c === 10 && lastOut !== 13) outBytes.push(13);
  outBytes.push(c);
  lastOut = c;
  if (outBytes.length >= 4096) flushConsole();
}
function consoleText(text) {
  for (const c of Buffer.from(text, "utf8")) consoleByte(c);
}
function emit(event) {
  flushConsole();
  writeFrame("j", Buffer.from(JSON.stringify(event), "utf8"));
}

// ------------------------------------------------------------------------------------------------ frames from Python
const consoleIn = []; // bytes waiting for the REPL
const hostEvents = []; // JSON events waiting for the VM
let flashFault = cfg.flash_fault || null; // a torn write armed by the supervisor: see the top of this file
let inBuf = Buffer.alloc(0);
let busy = false; // true while Python code runs (main.py, a raw-REPL command): Ctrl-C then interrupts it
let interruptPending = false;
const scratch = Buffer.alloc(65536);

function pump() {
  let got = 0;
  for (;;) {
    let n;
    try {
      n = readSync(0, scratch, 0, scratch.length, null);
    } catch (e) {
      if (e.code === "EAGAIN" || e.code === "EWOULDBLOCK") break;
      throw e;
    }
    if (n === 0) process.exit(0); // the supervisor is gone: power off
    inBuf = Buffer.concat([inBuf, scratch.subarray(0, n)]);
    got += n;
  }
  while (inBuf.length >= 5) {
    const len = inBuf.readUInt32LE(1);
    if (inBuf.length < 5 + len) break;
    const kind = String.fromCharCode(inBuf[0]);
    const payload = inBuf.subarray(5, 5 + len);
    inBuf = inBuf.subarray(5 + len);
    if (kind === "c") {
      for (const c of payload) {
        if (busy && c === 3) {
          // The UART's interrupt character while code runs: a KeyboardInterrupt in the running code, as on the board.
          interruptPending = true;
          mp._module._mp_sched_keyboard_interrupt();
          consoleIn.length = 0;
        } else if (busy && !interruptPending && c !== 3) {
          // Typed while main.py runs: the board's stdin buffer; the REPL sees it once main.py ends.
          consoleIn.push(c);
        } else {
          consoleIn.push(c);
        }
      }
    } else if (kind === "j") {
      const text = payload.toString("utf8");
      const event = JSON.parse(text);
      if (event.op === "flash_fault") flashFault = event.fault;
      else if (event.op === "budget" && budget) reportBudget(event);
      else hostEvents.push(text);
    }
  }
  if (got) emit({ ev: "rx" });
  return got;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepRealMs(ms) {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
}

// ------------------------------------------------------------------------------------------------ the VM
const mp = await loadMicroPython({
  heapsize: cfg.heap_bytes,
  pystack: 64 * 1024,
  stdout: (bytes) => { for (const c of bytes) { if (capture) capture.push(c); else consoleByte(c); } },
  stderr: (bytes) => { for (const c of bytes) consoleByte(c); },
  linebuffer: false,
});
const FS = mp.FS;

function copyIn(vmDir, hostDir) {
  FS.mkdirTree(vmDir);
  for (const name of readdirSync(hostDir)) {
    if (name === "__pycache__" || name.endsWith(".~sim")) continue;
    const hostPath = join(hostDir, name);
    const vmPath = vmDir + "/" + name;
    if (statSync(hostPath).isDirectory()) copyIn(vmPath, hostPath);
    else FS.writeFile(vmPath, readFileSync(hostPath));
  }
}

mkdirSync(cfg.flash_dir, { recursive: true });
copyIn(FLASH, cfg.flash_dir);
for (const [vmDir, hostDir] of cfg.simlib_dirs) copyIn(SIMLIB + vmDir, hostDir);
for (const [vmPath, text] of Object.entries(cfg.simlib_files || {})) FS.writeFile(SIMLIB + vmPath, text);

// Write-through from MEMFS /flash to the host folder.
function hostPathOf(vmPath) {
  const p = FS.lookupPath(vmPath, { follow: true }).path;
  if (p === FLASH) return cfg.flash_dir;
  if (!p.startsWith(FLASH + "/")) return null;
  return join(cfg.flash_dir, ...p.slice(FLASH.length + 1).split("/"));
}
function absolute(vmPath) {
  // VfsPosix hands over paths relative to the current folder; resolve them as the FS would.
  const full = vmPath.startsWith("/") ? vmPath : FS.cwd() + "/" + vmPath;
  const parts = [];
  for (const part of full.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}
function hostPathOfParent(path) {
  const vmPath = absolute(path);
  const slash = vmPath.lastIndexOf("/");
  const parent = slash <= 0 ? "/" : vmPath.slice(0, slash);
  let hostParent;
  try {
    hostParent = hostPathOf(parent);
  } catch {
    return null;
  }
  return hostParent === null ? null : join(hostParent, vmPath.slice(slash + 1));
}
function tornImage(oldData, newData, keepBytes) {
  // Flash is programmed from the first byte that changes on; the power went after keepBytes of them.
  let same = 0;
  const common = Math.min(oldData.length, newData.length);
  while (same < common && oldData[same] === newData[same]) same++;
  const cut = Math.min(newData.length, same + keepBytes);
  const image = Buffer.alloc(Math.max(cut, oldData.length));
  newData.copy(image, 0, 0, cut);
  if (oldData.length > cut) oldData.copy(image, cut, cut);
  return image;
}
function commitFile(vmPath) {
  const host = hostPathOf(vmPath);
  if (host === null) return;
  const tmp = host + ".~sim";
  const data = FS.readFile(vmPath);
  const fault = flashFault;
  const vmFull = FS.lookupPath(vmPath, { follow: true }).path;
  if (fault && vmFull.endsWith(fault.path_suffix)) {
    const old = existsSync(host) ? readFileSync(host) : Buffer.alloc(0);
    const image = tornImage(old, Buffer.from(data), fault.keep_bytes);
    writeFileSync(tmp, image);
    renameSync(tmp, host);
    flashFault = null;
    endBoot({ // never returns: the board is dead, the rest of this write never happens
      ev: "power_cut",
      cause: "torn write",
      path: vmFull.slice(FLASH.length),
      old_bytes: old.length,
      new_bytes: data.length,
      torn_bytes: image.length,
    });
  }
  writeFileSync(tmp, data);
  renameSync(tmp, host);
}
const O_ACCMODE = 3;
const origClose = FS.close.bind(FS);
FS.close = (stream) => {
  const path = stream.path;
  const wrote = (stream.flags & O_ACCMODE) !== 0;
  const r = origClose(stream);
  if (wrote && path && !FS.isDir(FS.lookupPath(path).node.mode)) commitFile(path);
  return r;
};
const origOpen = FS.open.bind(FS);
FS.open = (path, flags, mode) => {
  const stream = origOpen(path, flags, mode);
  // MicroPython's flush() ends in fsync(): commit the file then too, as LittleFS's sync does.
  if (stream.stream_ops && !stream.stream_ops.fsync) {
    stream.stream_ops.fsync = (s) => { if (s.path) commitFile(s.path); return 0; };
  }
  return stream;
};
const origMkdir = FS.mkdir.bind(FS);
FS.mkdir = (path, mode) => {
  const r = origMkdir(path, mode);
  const host = hostPathOfParent(path);
  if (host !== null) mkdirSync(host, { recursive: true });
  return r;
};
const origUnlink = FS.unlink.bind(FS);
FS.unlink = (path) => {
  const host = hostPathOfParent(path);
  const r = origUnlink(path);
  if (host !== null && existsSync(host)) unlinkSync(host);
  return r;
};
const origRmdir = FS.rmdir.bind(FS);
FS.rmdir = (path) => {
  const host = hostPathOfParent(path);
  const r = origRmdir(path);
  if (host !== null && existsSync(host)) rmdirSync(host);
  return r;
};
const origRename = FS.rename.bind(FS);
FS.rename = (from, to) => {
  const hostFrom = hostPathOfParent(from);
  const hostTo = hostPathOfParent(to);
  const r = origRename(from, to);
  if (hostFrom !== null && hostTo !== null && existsSync(hostFrom)) renameSync(hostFrom, hostTo);
  else if (hostTo !== null) commitFile(to);
  return r;
};

// ------------------------------------------------------------------------------------------------ budget mode
// `make budget` (anklet_host/budget) measures the firmware's memory the way an ESP32 has it. This port collects
// garbage only when JavaScript calls into it (it cannot scan the WebAssembly stack), so a firmware that never
// returns would show garbage as live memory and its heap would grow without bound. In budget mode the firmware's
// asyncio.run returns at once and this file steps the loop: every tick it serves the board (pins, timers, host
// events, the BLE handler), runs the tasks that are due, asks for a collection, and on the next call in, with the
// garbage gone, reads the heap (micropython.mem_info: live bytes, the heap's size, the largest free block). It also
// times each run of due tasks: the longest one is what holds the sampler off its FIFO on a board.
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const budget = cfg.budget ? {
  baseline: 0, live: 0, peak: 0, phasePeak: 0, maxFree: 0, minMaxFree: Infinity, total: 0, totalMax: 0,
  stepWorstMs: 0, phaseStepWorstMs: 0, steps: 0, probes: 0, hwMs: 0,
} : null;
let jsLoop = false;
let capture = null; // stdout goes here instead of the console while the heap is read
const GC_BLOCK_BYTES = 16; // 4 words of 32 bits: MicroPython's GC block on the ESP32 and on this port

function readHeap() {
  capture = [];
  runPy("_mem_info()");
  const text = Buffer.from(capture).toString("latin1");
  capture = null;
  const used = /used: (\d+)/.exec(text);
  const total = /total: (\d+)/.exec(text);
  const maxFree = /max free sz: (\d+)/.exec(text);
  if (!used || !total || !maxFree) return null;
  return { used: +used[1], total: +total[1], maxFreeBytes: +maxFree[1] * GC_BLOCK_BYTES };
}
function probeHeap() {
  const heap = readHeap();
  if (heap === null) return;
  const b = budget;
  b.probes++;
  b.live = heap.used - b.baseline;
  b.peak = Math.max(b.peak, b.live);
  b.phasePeak = Math.max(b.phasePeak, b.live);
  b.maxFree = heap.maxFreeBytes;
  b.minMaxFree = Math.min(b.minMaxFree, heap.maxFreeBytes);
  b.total = heap.total;
  b.totalMax = Math.max(b.totalMax, heap.total);
}
function budgetTick() {
  if (!jsLoop || ending) return;
  runPy("_simboard.poll()");
  budget.hwMs = 0;
  const t0 = cpuMs();
  runPy("_run_due()");
  // CPU time, not wall time: a step this process was descheduled in (a busy host) is not a slow step. The simulated
  // hardware's Python (chip models, the radio's messages) is silicon and C on a board: left out.
  const stepMs = Math.max(0, cpuMs() - t0 - budget.hwMs);
  budget.steps++;
  budget.stepWorstMs = Math.max(budget.stepWorstMs, stepMs);
  budget.phaseStepWorstMs = Math.max(budget.phaseStepWorstMs, stepMs);
  runPy("_gc_collect()"); // only marks a collection as due: it happens as the next call comes in
  if (!ending) probeHeap();
}
function reportBudget(event) {
  const b = budget;
  emit({
    ev: "budget", mark: event.mark || "", heap_initial_bytes: cfg.heap_bytes, sim_baseline_bytes: b.baseline,
    live_bytes: b.live, peak_bytes: b.peak, phase_peak_bytes: b.phasePeak, largest_free_bytes: b.maxFree,
    largest_free_min_bytes: b.minMaxFree === Infinity ? 0 : b.minMaxFree, heap_total_bytes: b.total,
    heap_total_max_bytes: b.totalMax, step_worst_ms: b.stepWorstMs, phase_step_worst_ms: b.phaseStepWorstMs,
    steps: b.steps, probes: b.probes, loop: jsLoop,
  });
  b.phasePeak = 0;
  b.phaseStepWorstMs = 0;
}

// ------------------------------------------------------------------------------------------------ board services
let ending = false;
function endBoot(event) {
  // This boot is over (reset, deep sleep): tell the supervisor and stop; it starts the next boot.
  ending = true;
  flushConsole();
  emit(event);
  process.exit(0);
}

const stash = new Map();
const host = {
  config: JSON.stringify(cfg.vm),
  emit: (json) => { emit(JSON.parse(json)); },
  pump: () => pump(),
  // Wait up to `ms` real milliseconds for input or a host event, taking both in; true if something arrived.
  idle: (ms) => {
    flushConsole();
    const deadline = performance.now() + ms;
    for (;;) {
      pump();
      if (hostEvents.length || interruptPending) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      sleepRealMs(Math.min(left, 2));
    }
  },
  next_event: () => (hostEvents.length ? hostEvents.shift() : null),
  reset: (kind) => {
    if (kind === "soft") consoleText("MPY: soft reboot\n");
    endBoot({ ev: "reset", kind, raw: false });
  },
  deepsleep: (ms) => endBoot({ ev: "deepsleep", ms }),
  now_ms: () => performance.now(),
  // Budget mode: the CPU clock, and the CPU milliseconds the simulated hardware spent in this step (`budgetTick`).
  cpu_ms: cpuMs,
  add_hw_ms: (ms) => { if (budget) budget.hwMs += ms; },
  // The firmware's asyncio.run, in budget mode: the loop is stepped from here (see `budgetTick`).
  js_loop: () => { jsLoop = true; },
  // What the simulated hardware keeps where a chip keeps it in C, off the Python heap (`_simboard.stash`).
  stash: (key, text) => { stash.set(key, text); },
  stashed: (key) => (stash.has(key) ? stash.get(key) : null),
};
mp.registerJsModule("_simhost", host);

function runPy(code) {
  // Run board code; returns pyexec's status (FORCED_EXIT asks for a soft reset).
  busy = true;
  interruptPending = false;
  try {
    const r = mp.runPython(code);
    return typeof r === "number" ? r : 0;
  } catch (e) {
    if (ending) return 0;
    consoleText(String(e.message || e) + "\n");
    return -1;
  } finally {
    busy = false;
    interruptPending = false;
    flushConsole();
  }
}

function softReboot(raw) {
  consoleText("MPY: soft reboot\n");
  endBoot({ ev: "reset", kind: "soft", raw });
}

// ------------------------------------------------------------------------------------------------ boot
// The simulated hardware modules live at /_sim, mounted (by boot) out of sight of the flash, like built-ins.
const hardwareOk = runPy("import sys\nsys.path.insert(0, '/_sim')\nimport _simboard\n_simboard.boot()") === 0;
if (budget && hardwareOk) {
  // What the simulation itself holds (its modules stand in for C on a board) is measured now and left out.
  runPy("import gc, micropython, machine, bluetooth, esp32, _simasyncio\n" +
        "_mem_info = micropython.mem_info\n_gc_collect = gc.collect\n_run_due = _simasyncio.run_due\ngc.collect()");
  const heap = readHeap();
  if (heap !== null) budget.baseline = heap.used;
}
let status = runPy("_simboard.run_file('boot.py')");
if (status !== FORCED_EXIT && !cfg.raw_repl && !cfg.skip_main) status = runPy("_simboard.run_file('main.py')");
if (status === FORCED_EXIT) softReboot(false);

// The REPL, driven one character at a time as the UART delivers them.
let inRaw = false;
mp.replInit();
if (cfg.raw_repl) {
  // After a soft reset from the raw REPL the board stays in it: no banner, straight to the raw prompt.
  outBytes = [];
  mp.replProcessChar(1);
  inRaw = true;
}
emit({ ev: "repl" });
flushConsole();

function driveRepl() {
  if (busy || ending) return;
  pump();
  while (consoleIn.length && !ending) {
    const c = consoleIn.shift();
    busy = true;
    interruptPending = false;
    let r;
    try {
      r = mp.replProcessChar(c);
    } catch (e) {
      r = 0;
      consoleText(String(e.message || e) + "\n");
    } finally {
      busy = false;
    }
    if (c === 1) inRaw = true;
    if (c === 2) inRaw = false;
    if (r === FORCED_EXIT) {
      softReboot(inRaw);
      return;
    }
  }
  flushConsole();
}
let lastPoll = 0;
function tick() {
  driveRepl();
  if (budget) budgetTick();
  // Timers and pin interrupts keep running at the REPL, as on the board.
  if (hardwareOk && !ending && performance.now() - lastPoll >= cfg.poll_ms) {
    lastPoll = performance.now();
    runPy("_simboard.poll()");
  }
}
setInterval(tick, 2);
