// The result budget, seen by the official MCP TypeScript SDK client over
// stdio: a large answer comes back cut, its text under 40,000 characters, its
// structuredContent valid (the SDK checks it against the outputSchema),
// parseable from the text and no larger than it.
//
// Run: CPM_BIN=/path/to/binary node --test testdata/clients/

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

import { serverBinary } from './harness.mjs';

const CALL_TIMEOUT_MS = 20000;

describe('result budget (stdio, default --max-result-bytes)', () => {
  let client;
  let stderr = '';

  before(async () => {
    const transport = new StdioClientTransport({ command: serverBinary(), args: ['--sandbox'], stderr: 'pipe' });
    transport.stderr?.setEncoding?.('utf8');
    transport.stderr?.on('data', (d) => { stderr += d; });
    client = new Client({ name: 'cpm-budget-e2e', version: '1.0.0' }, { capabilities: {} });
    try {
      await client.connect(transport, { timeout: CALL_TIMEOUT_MS });
    } catch (e) {
      throw new Error(`connect failed: ${e?.message ?? e}\n${stderr.slice(-4000)}`);
    }
  });

  after(async () => {
    await client?.close();
  });

  it('a large array answer is cut at whole items, text under 40,000 characters, structuredContent parseable and no larger', async () => {
    // The sandbox echoes the body it is sent: data.body.repositories is the large array.
    const repositories = Array.from({ length: 2000 }, (_, i) => ({ id: i, full_name: `octo/repo-${i}`, html_url: `https://github.com/octo/repo-${i}`, description: 'é'.repeat(20) }));
    const res = await client.callTool({
      name: 'proxy_execute',
      arguments: { toolkit_slug: 'github', endpoint: '/user/repos', method: 'POST', body: { total_count: 2000, repositories } },
    }, undefined, { timeout: CALL_TIMEOUT_MS });
    assert.notEqual(res.isError, true, JSON.stringify(res).slice(0, 2000));
    const texts = res.content.filter((c) => c.type === 'text');
    assert.equal(texts.length, 1);
    const text = texts[0].text;
    assert.ok([...text].length < 40000 + 1, `text is ${[...text].length} characters`);

    const sc = res.structuredContent;
    assert.ok(sc && sc.truncated, `no truncated member: ${JSON.stringify(sc)?.slice(0, 500)}`);
    const t = sc.truncated;
    assert.equal(t.total_items, 2000);
    assert.equal(t.items_path, '.body.repositories');
    assert.equal(sc.data.body.repositories.length, t.shown_items);
    assert.deepEqual(sc.data.body.repositories[t.shown_items - 1], repositories[t.shown_items - 1], 'the last item shown is whole');
    assert.match(t.result, /^[0-9a-f]{32}$/);
    assert.equal(t.resource, `composio-proxy://results/${t.result}`);
    assert.ok(text.includes(`query_result {"result": "${t.result}", "page": 2}`), 'the text names query_result with the id');

    const inText = JSON.parse(text.slice(text.lastIndexOf('\n') + 1));
    assert.deepEqual(inText, sc, 'the text carries the structuredContent');
    assert.ok(JSON.stringify(sc).length <= text.length, 'structuredContent is no larger than the text');
  });
});
