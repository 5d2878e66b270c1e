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

// Budget mode's clock and figures (see "budget mode" below), declared first: the flash's write-through times itself.
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const budget = cfg.budget ? {
  baseline: 0, live: 0, peak: 0, phasePeak: 0, maxFree: 0, minMaxFree: Infinity, total: 0, totalMax: 0,
  stepWorstMs: 0, phaseStepWorstMs: 0, steps: 0, probes: 0,
  // Time left out of the firmware's (see "budget mode"), on both clocks: the simulated hardware's (chip models,
  // radio, the flash's write-through) and the sampler's drains in this run.
  hw: { cpu: 0, wall: 0 }, drain: { cpu: 0, wall: 0 }, inRun: false,
  runT0: { cpu: 0, wall: 0 }, drainT0: { cpu: 0, wall: 0 }, drainOut0: { cpu: 0, wall: 0 },
  drainWorstMs: 0, phaseDrainWorstMs: 0,
  // Each task's steps (`task_named`, `task_time`): per phase, how many and the longest ones (`STEP_TOPS`).
  taskNames: [], phaseTaskSteps: [], phaseTaskTop: [], seg0: { cpu: 0, wall: 0 }, segOut0: { cpu: 0, wall: 0 },
  stepTask: -1, step: { cpu: 0, wall: 0 },
} : null;
// Budget mode times on two clocks at once and keeps the lower figure (see "budget mode"): the CPU time and the wall
// time, in milliseconds.
function clocks() {
  return { cpu: cpuMs(), wall: performance.now() };
}
// Budget mode: the simulated hardware's time, left out of the firmware's steps (`budget.hw`). Spans nest: the
// outermost one counts. Python's `_simboard.hw_begin`/`hw_end` (chip models, radio) come in through `hw_enter` and
// `hw_exit`; the flash's write-through to the host folder (`hostMirror`) is the simulator's too (on a board littlefs
// has written the flash when the firmware's call returns: the MEMFS calls, which stay in the step).
let hwDepth = 0;
let hwT0 = null;
function hwEnter() {
  if (hwDepth++ === 0) hwT0 = clocks();
}
function hwExit() {
  if (--hwDepth === 0) {
    const now = clocks();
    budget.hw.cpu += now.cpu - hwT0.cpu;
    budget.hw.wall += now.wall - hwT0.wall;
  }
}
function hostMirror(fn) {
  if (!budget) return fn();
  hwEnter();
  try {
    return fn();
  } finally {
    hwExit();
  }
}
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
  if (wrote && path && !FS.isDir(FS.lookupPath(path).node.mode)) hostMirror(() => commitFile(path));
  return r;
};
const origOpen = FS.open.bind(FS);
FS.open = (path, flags, mode) => {
  const stream = origOpen(path, flags, mode);
  // MicroPython's flush() ends in fsync(): commit the file then too, as LittleFS's sync does.
  if (stream.stream_ops && !stream.stream_ops.fsync) {
    stream.stream_ops.fsync = (s) => { if (s.path) hostMirror(() => commitFile(s.path)); return 0; };
  }
  return stream;
};
const origMkdir = FS.mkdir.bind(FS);
FS.mkdir = (path, mode) => {
  const r = origMkdir(path, mode);
  hostMirror(() => {
    const host = hostPathOfParent(path);
    if (host !== null) mkdirSync(host, { recursive: true });
  });
  return r;
};
const origUnlink = FS.unlink.bind(FS);
FS.unlink = (path) => {
  const host = hostMirror(() => hostPathOfParent(path));
  const r = origUnlink(path);
  hostMirror(() => { if (host !== null && existsSync(host)) unlinkSync(host); });
  return r;
};
const origRmdir = FS.rmdir.bind(FS);
FS.rmdir = (path) => {
  const host = hostMirror(() => hostPathOfParent(path));
  const r = origRmdir(path);
  hostMirror(() => { if (host !== null && existsSync(host)) rmdirSync(host); });
  return r;
};
const origRename = FS.rename.bind(FS);
FS.rename = (from, to) => {
  const hostFrom = hostMirror(() => hostPathOfParent(from));
  const hostTo = hostMirror(() => hostPathOfParent(to));
  const r = origRename(from, to);
  hostMirror(() => {
    if (hostFrom !== null && hostTo !== null && existsSync(hostFrom)) renameSync(hostFrom, hostTo);
    else if (hostTo !== null) commitFile(to);
  });
  return r;
};

// ------------------------------------------------------------------------------------------------ budget mode
// `make budget` (anklet_host/budget) measures the firmware's memory the way an ESP32 has it. This port collects
// garbage only when JavaScript calls into it (it cannot scan the WebAssembly stack), so a firmware that never
// returns would show garbage as live memory and its heap would grow without bound. In budget mode the firmware's
// asyncio.run returns at once and this file steps the loop: every tick it serves the board (pins, timers, host
// events, the BLE handler), runs the tasks that are due, asks for a collection, and on the next call in, with the
// garbage gone, reads the heap (micropython.mem_info: live bytes, the heap's size, the largest free block).
//
// It also times the firmware's work, less the simulated hardware's (`budget.hw`: the chip models and the radio are
// silicon and C on a board, the flash's write-through is the simulator's) and less the sampler's drains
// (`drain_begin`/`drain_end` around `Sampler.drain`, its raw stream left in: `make budget` adds the drain itself, the
// burst and the stride, timed apart at every rate by anklet_host.budget.stall, so counting it here too would count it
// twice). Every span is timed on the process's CPU clock and on the wall clock, and the lower one counts: a host
// that deschedules this process stretches the wall time only, and the CPU clock, updated in lumps, can put a lump
// spent earlier into a span that did not spend it; the CPU clock alone read up to 7 ms for 13 us of work here.
// - each run of due tasks (`_simasyncio.run_due` calls `run_begin` and `run_end`);
// - each task's steps (`_simasyncio` says which task each stretch of time belongs to: `task_named`, `task_time`): how
//   many, and the longest `STEP_TOPS`, per phase. The sampler's task, woken by its watermark interrupt, waits behind
//   every task already due, each for one step at most (MicroPython's task queue is ordered by the time a task became
//   due, so a task that runs again queues behind it): anklet_host.budget.memory adds the tasks' longest steps up.
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
  runPy("_run_due()"); // timed from inside: `run_begin`, `run_end`
  runPy("_gc_collect()"); // only marks a collection as due: it happens as the next call comes in
  if (!ending) probeHeap();
}
// The time left out so far in this run (hardware and drains), on both clocks.
function leftOut() {
  const b = budget;
  return { cpu: b.hw.cpu + b.drain.cpu, wall: b.hw.wall + b.drain.wall };
}
// The firmware's time from `t0` (clocks) to `now`, with `out0` the left-out time at `t0`: the lower of the CPU time
// (a host that descheduled this process is not a slow firmware) and the wall time (the CPU clock of a process is
// updated in lumps: a lump can land in a step that did not spend it).
function firmwareMs(t0, out0, now) {
  const out = leftOut();
  const cpu = now.cpu - t0.cpu - (out.cpu - out0.cpu);
  const wall = now.wall - t0.wall - (out.wall - out0.wall);
  return Math.max(0, Math.min(cpu, wall));
}
function runBegin() {
  const b = budget;
  b.hw = { cpu: 0, wall: 0 };
  b.drain = { cpu: 0, wall: 0 };
  b.runT0 = clocks();
  b.seg0 = b.runT0;
  b.segOut0 = { cpu: 0, wall: 0 };
  b.stepTask = -1;
  b.step = 0;
  b.inRun = true;
}
function taskTime(id) {
  // The time since the last call belongs to task `id` (`_simasyncio._timed_ticks`); a run of calls for the same
  // task is one step of it.
  const b = budget;
  const now = clocks();
  const ms = firmwareMs(b.seg0, b.segOut0, now);
  b.seg0 = now;
  b.segOut0 = leftOut();
  if (id !== b.stepTask) {
    if (b.stepTask >= 0) closeTaskStep();
    b.stepTask = id;
  }
  b.step += ms;
}
const STEP_TOPS = 256; // the longest steps kept per task and phase (anklet_host.budget.memory picks among them)
function closeTaskStep() {
  const b = budget;
  const id = b.stepTask;
  b.phaseTaskSteps[id] = (b.phaseTaskSteps[id] || 0) + 1;
  const top = b.phaseTaskTop[id] || (b.phaseTaskTop[id] = []);
  if (top.length < STEP_TOPS || b.step > top[top.length - 1]) {
    let i = top.length;
    while (i > 0 && top[i - 1] < b.step) i--;
    top.splice(i, 0, Math.round(b.step * 1000) / 1000);
    if (top.length > STEP_TOPS) top.pop();
  }
  b.step = 0;
}
function runEnd() {
  const b = budget;
  const now = clocks();
  if (b.stepTask >= 0) {
    b.step += firmwareMs(b.seg0, b.segOut0, now); // the loop's last look at its queue
    closeTaskStep();
  }
  b.stepTask = -1;
  b.inRun = false;
  const stepMs = firmwareMs(b.runT0, { cpu: 0, wall: 0 }, now);
  const drainMs = Math.min(b.drain.cpu, b.drain.wall);
  b.steps++;
  b.stepWorstMs = Math.max(b.stepWorstMs, stepMs);
  b.phaseStepWorstMs = Math.max(b.phaseStepWorstMs, stepMs);
  b.drainWorstMs = Math.max(b.drainWorstMs, drainMs);
  b.phaseDrainWorstMs = Math.max(b.phaseDrainWorstMs, drainMs);
}
function drainBegin() {
  const b = budget;
  b.drainT0 = clocks();
  b.drainOut0 = { cpu: b.hw.cpu, wall: b.hw.wall };
}
function drainEnd() {
  const b = budget;
  const now = clocks();
  b.drain.cpu += Math.max(0, now.cpu - b.drainT0.cpu - (b.hw.cpu - b.drainOut0.cpu));
  b.drain.wall += Math.max(0, now.wall - b.drainT0.wall - (b.hw.wall - b.drainOut0.wall));
}
function reportBudget(event) {
  const b = budget;
  emit({
    ev: "budget", mark: event.mark || "", heap_initial_bytes: cfg.heap_bytes, sim_baseline_bytes: b.baseline,
    live_bytes: b.live, peak_bytes: b.peak, phase_peak_bytes: b.phasePeak, largest_free_bytes: b.maxFree,
    largest_free_min_bytes: b.minMaxFree === Infinity ? 0 : b.minMaxFree, heap_total_bytes: b.total,
    heap_total_max_bytes: b.totalMax, step_worst_ms: b.stepWorstMs, phase_step_worst_ms: b.phaseStepWorstMs,
    drain_worst_ms: b.drainWorstMs, phase_drain_worst_ms: b.phaseDrainWorstMs, task_names: b.taskNames,
    phase_task_steps: b.taskNames.map((_, i) => b.phaseTaskSteps[i] || 0),
    phase_task_top_ms: b.taskNames.map((_, i) => b.phaseTaskTop[i] || []),
    steps: b.steps, probes: b.probes, loop: jsLoop,
  });
  b.phasePeak = 0;
  b.phaseStepWorstMs = 0;
  b.phaseDrainWorstMs = 0;
  b.phaseTaskSteps = [];
  b.phaseTaskTop = [];
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
  // Budget mode: the CPU clock; the simulated hardware's time begins and ends (see `hwEnter`).
  cpu_ms: cpuMs,
  hw_enter: () => { if (budget) hwEnter(); },
  hw_exit: () => { if (budget) hwExit(); },
  // Budget mode: a run of due tasks begins and ends; the sampler's drain begins and ends (see "budget mode").
  run_begin: () => { if (budget) runBegin(); },
  run_end: () => { if (budget) runEnd(); },
  drain_begin: () => { if (budget) drainBegin(); },
  drain_end: () => { if (budget) drainEnd(); },
  task_named: (id, name) => { if (budget) budget.taskNames[id] = name; },
  task_time: (id) => { if (budget && budget.inRun) taskTime(id); },
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
