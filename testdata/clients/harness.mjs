// Shared helpers for the end-to-end client tests: start the composio-proxy-mcp
// binary (CPM_BIN) in --sandbox mode on a free loopback port and stop it again.
//
// Used by sdk.test.mjs (node:test, node 20) and conformance.mjs (runner).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Absolute path of the server binary from $CPM_BIN; throws if unset or missing. */
export function serverBinary() {
  const bin = process.env.CPM_BIN;
  if (!bin) {
    throw new Error('CPM_BIN is not set: build the server (go build -o /tmp/cpm .) and export CPM_BIN=/tmp/cpm');
  }
  const abs = path.resolve(bin);
  if (!existsSync(abs)) {
    throw new Error(`CPM_BIN=${bin} does not exist`);
  }
  return abs;
}

/** Ask the kernel for a free TCP port on 127.0.0.1 (listen on port 0, then close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Start `CPM_BIN --sandbox --transport <transport> --listen 127.0.0.1:<port> <extraArgs…>` and
 * wait until GET /healthz answers 200. Retries on a new port if the process dies
 * before it is healthy (e.g. the port was taken in between).
 *
 * Returns { port, baseUrl, proc, stderr(): string, stop(): Promise<void> }.
 */
export async function startHttpServer(transport, { attempts = 3, healthTimeoutMs = 20000, extraArgs = [] } = {}) {
  const bin = serverBinary();
  let lastError;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = await freePort();
    const args = ['--sandbox', '--transport', transport, '--listen', `127.0.0.1:${port}`, ...extraArgs];
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
    proc.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
    let exited = null;
    const exitPromise = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        exited = { code, signal };
        resolve(exited);
      });
      proc.on('error', (e) => {
        exited = { code: null, signal: null, error: e };
        resolve(exited);
      });
    });
    const baseUrl = `http://127.0.0.1:${port}`;
    const handle = {
      port,
      baseUrl,
      proc,
      args,
      stdout: () => out,
      stderr: () => err,
      async stop() {
        if (exited) return;
        proc.kill('SIGTERM');
        const timer = setTimeout(() => { if (!exited) proc.kill('SIGKILL'); }, 5000);
        await exitPromise;
        clearTimeout(timer);
      },
    };
    const deadline = Date.now() + healthTimeoutMs;
    let healthy = false;
    let lastStatus = 'no answer';
    while (Date.now() < deadline && !exited) {
      try {
        const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
        lastStatus = `HTTP ${res.status}`;
        if (res.status === 200) {
          healthy = true;
          break;
        }
      } catch (e) {
        lastStatus = e?.cause?.code ?? e?.message ?? String(e);
      }
      await sleep(100);
    }
    if (healthy) return handle;
    const diedEarly = exited !== null;
    await handle.stop();
    lastError = new Error(
      `server ${bin} ${args.join(' ')} did not become healthy on GET /healthz ` +
        `(attempt ${attempt}/${attempts}; last: ${lastStatus}; exit: ${JSON.stringify(exited)})\n` +
        `--- stderr ---\n${err.slice(-4000)}\n--- stdout ---\n${out.slice(-2000)}`,
    );
    if (!diedEarly) break; // it ran but never answered 200: retrying will not help
  }
  throw lastError;
}
