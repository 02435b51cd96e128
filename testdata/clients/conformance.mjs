#!/usr/bin/env node
// Runs the official MCP conformance suite (@modelcontextprotocol/conformance,
// pinned in package.json) against the composio-proxy-mcp binary (CPM_BIN).
//
// Usage: CPM_BIN=/path/to/binary node testdata/clients/conformance.mjs [scenario ...]
//
// This runner itself works on node 20; the suite needs node >= 22 and is run
// with the node 22 binary of the pinned npm package "node"
// (node_modules/node/bin/node). For each scenario a fresh server is started:
//
//   CPM_BIN --sandbox --transport http --listen 127.0.0.1:<free port>
//
// and the suite is invoked as
//
//   node22 node_modules/@modelcontextprotocol/conformance/dist/index.js \
//     server --url http://127.0.0.1:<port>/mcp --scenario <name> -o <dir>
//
// A scenario passes only if the CLI exits 0 AND its checks.json has at least one
// SUCCESS check and no FAILURE or WARNING check (the CLI itself ignores
// warnings, but e.g. server-sse-multiple-streams only emits a WARNING and skips
// its real checks when the server hands out no Mcp-Session-Id).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { serverBinary, startHttpServer } from './harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const NODE22 = path.join(HERE, 'node_modules', 'node', 'bin', 'node');
const CLI = path.join(HERE, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const SCENARIO_TIMEOUT_MS = 90000;

export const SCENARIOS = [
  'server-initialize',
  'ping',
  'tools-list',
  'logging-set-level',
  'server-sse-multiple-streams',
  'dns-rebinding-protection',
];

function fail(msg) {
  console.error(`conformance: ${msg}`);
  process.exit(2);
}

function findFiles(dir, name) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    const p = path.join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...findFiles(p, name));
    else if (entry === name) out.push(p);
  }
  return out;
}

function runCli(args) {
  return new Promise((resolve) => {
    const child = spawn(NODE22, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: os.tmpdir() });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { output += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { output += d; });
    const timer = setTimeout(() => {
      output += `\n[runner] scenario timed out after ${SCENARIO_TIMEOUT_MS} ms, killing the suite\n`;
      child.kill('SIGKILL');
    }, SCENARIO_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

async function runScenario(scenario, resultsRoot) {
  const outDir = path.join(resultsRoot, scenario);
  let server;
  try {
    server = await startHttpServer('http');
  } catch (e) {
    return { scenario, ok: false, reasons: [`server did not start: ${e.message}`], output: '', checks: [] };
  }
  const url = `${server.baseUrl}/mcp`;
  let res;
  try {
    res = await runCli(['server', '--url', url, '--scenario', scenario, '-o', outDir]);
  } finally {
    await server.stop();
  }
  const reasons = [];
  if (res.code !== 0) reasons.push(`suite exited with ${res.code ?? res.signal}`);
  const files = findFiles(outDir, 'checks.json');
  let checks = [];
  if (files.length !== 1) {
    reasons.push(`expected one checks.json under ${outDir}, found ${files.length}`);
  } else {
    checks = JSON.parse(readFileSync(files[0], 'utf8'));
  }
  const by = (s) => checks.filter((c) => c.status === s);
  if (files.length === 1 && by('SUCCESS').length === 0) reasons.push('no SUCCESS check');
  for (const c of [...by('FAILURE'), ...by('WARNING')]) {
    reasons.push(`${c.status} ${c.id}: ${c.errorMessage ?? c.details?.message ?? ''}`.trim());
  }
  return {
    scenario,
    ok: reasons.length === 0,
    reasons,
    output: res.output,
    checks,
    serverStderr: server.stderr(),
    command: `${NODE22} ${CLI} server --url ${url} --scenario ${scenario} -o ${outDir}`,
  };
}

async function main() {
  serverBinary(); // fail early if CPM_BIN is not usable
  if (!existsSync(CLI)) fail(`${CLI} missing: run npm ci --prefix testdata/clients`);
  if (!existsSync(NODE22)) fail(`${NODE22} missing: run npm ci --prefix testdata/clients (package "node" install script)`);
  const v = spawnSync(NODE22, ['--version'], { encoding: 'utf8' });
  const major = Number(/^v(\d+)\./.exec(v.stdout?.trim() ?? '')?.[1]);
  if (!(major >= 22)) fail(`${NODE22} is ${v.stdout?.trim() || v.error}; the conformance suite needs node >= 22`);
  console.log(`conformance suite 0.1.16 via node ${v.stdout.trim()} (${NODE22})`);

  const wanted = process.argv.slice(2);
  for (const s of wanted) if (!SCENARIOS.includes(s)) fail(`unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`);
  const scenarios = wanted.length > 0 ? wanted : SCENARIOS;

  const resultsRoot = mkdtempSync(path.join(os.tmpdir(), 'cpm-conformance-'));
  const results = [];
  for (const scenario of scenarios) {
    console.log(`\n=== conformance scenario: ${scenario} ===`);
    const r = await runScenario(scenario, resultsRoot);
    results.push(r);
    for (const c of r.checks) console.log(`  ${c.status.padEnd(8)} ${c.id}${c.errorMessage ? ` — ${c.errorMessage}` : ''}`);
    if (r.ok) {
      console.log(`  PASS ${scenario}`);
    } else {
      console.log(`  FAIL ${scenario}`);
      for (const reason of r.reasons) console.log(`    - ${reason}`);
      if (r.command) console.log(`  command: ${r.command}`);
      console.log('  --- suite output ---');
      console.log(r.output.trimEnd().split('\n').map((l) => `  | ${l}`).join('\n'));
      if (r.serverStderr) {
        console.log('  --- server stderr (tail) ---');
        console.log(r.serverStderr.slice(-3000).trimEnd().split('\n').map((l) => `  | ${l}`).join('\n'));
      }
      for (const c of r.checks.filter((x) => x.status === 'FAILURE' || x.status === 'WARNING')) {
        console.log(`  details of ${c.id}: ${JSON.stringify(c.details ?? {}).slice(0, 2000)}`);
      }
    }
  }

  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log('\n=== conformance summary ===');
  for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.scenario}`);
  if (failed === 0) rmSync(resultsRoot, { recursive: true, force: true });
  else console.log(`(results kept in ${resultsRoot})`);
  console.log(`conformance: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

await main();
