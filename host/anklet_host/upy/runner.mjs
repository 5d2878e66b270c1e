// Runs Python code under the real MicroPython (the official WebAssembly port) for the host and the tests.
//
// Protocol: one JSON request per line on stdin, one JSON reply per line on stdout. Every request gets a fresh VM
// (about 10 ms), so runs never see each other's state. Request:
//   {"id": 1, "code": "...", "dirs": [["/", "/abs/host/firmware"]], "files": {"/x.py": "...", "/y.bin": {"b64": ".."}},
//    "heap_bytes": 2097152, "async": false}
// Reply: {"id": 1, "stdout": "...", "error": null | {"type": "ValueError", "message": "<traceback>"}}
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

const runtimePath = process.argv[2];
const { loadMicroPython } = await import(pathToFileURL(runtimePath).href);

function copyTree(FS, vmDir, hostDir) {
  FS.mkdirTree(vmDir);
  for (const name of readdirSync(hostDir)) {
    if (name === "__pycache__" || name.startsWith(".")) continue;
    const hostPath = join(hostDir, name);
    const vmPath = vmDir === "/" ? "/" + name : vmDir + "/" + name;
    if (statSync(hostPath).isDirectory()) copyTree(FS, vmPath, hostPath);
    else FS.writeFile(vmPath, readFileSync(hostPath));
  }
}

async function handle(req) {
  let stdout = "";
  const write = (line) => { stdout += line + "\n"; };
  const mp = await loadMicroPython({
    heapsize: req.heap_bytes || 2 * 1024 * 1024,
    // The default Python stack is too small for large literals ("pystack exhausted").
    pystack: 64 * 1024,
    stdout: write,
    stderr: write,
    linebuffer: true,
  });
  for (const [vmDir, hostDir] of req.dirs || []) copyTree(mp.FS, vmDir, hostDir);
  for (const [vmPath, content] of Object.entries(req.files || {})) {
    const slash = vmPath.lastIndexOf("/");
    if (slash > 0) mp.FS.mkdirTree(vmPath.slice(0, slash));
    // Text goes as a string; binary content as {"b64": "..."}.
    mp.FS.writeFile(vmPath, typeof content === "string" ? content : Buffer.from(content.b64, "base64"));
  }
  let error = null;
  try {
    if (req.async) await mp.runPythonAsync(req.code);
    else mp.runPython(req.code);
  } catch (e) {
    error = { type: e.type || e.constructor.name, message: String(e.message || e) };
  }
  return { id: req.id, stdout, error };
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  let reply;
  try {
    reply = await handle(JSON.parse(line));
  } catch (e) {
    reply = { id: null, stdout: "", error: { type: "RunnerError", message: String(e && e.stack || e) } };
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
}
