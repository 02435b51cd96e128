// The jq argument of proxy_execute and the query_result tool, with the
// official MCP TypeScript SDK client over Streamable HTTP: a filtered call,
// then the stored whole response queried again from a second client
// connection (a new MCP session), as clients that open a session per call do.
//
// Run: CPM_BIN=/path/to/binary node --test testdata/clients/

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { startHttpServer } from './harness.mjs';

const CALL_TIMEOUT_MS = 20000;

const textOf = (result) => result.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');

describe('jq and query_result (streamable http)', () => {
  let server;
  const clients = [];

  /** A new, connected client: its own MCP session. */
  async function connect() {
    const client = new Client({ name: 'cpm-jq-e2e', version: '1.0.0' }, { capabilities: {} });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.baseUrl}/mcp`)), { timeout: CALL_TIMEOUT_MS });
    clients.push(client);
    return client;
  }

  before(async () => {
    server = await startHttpServer('http');
  });

  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await server?.stop();
  });

  it('lists query_result and teaches jq', async () => {
    const { tools } = await (await connect()).listTools();
    const qr = tools.find((t) => t.name === 'query_result');
    assert.ok(qr, 'query_result is not listed');
    assert.deepEqual(qr.inputSchema.required, ['result']);
    const pe = tools.find((t) => t.name === 'proxy_execute');
    assert.match(pe.inputSchema.properties.jq.description, /\.items\[\] \| \{id, name, html_url\}/);
  });

  it('narrows a large answer with jq, then queries the stored whole from a second connection', async () => {
    const first = await connect();
    const res = await first.callTool(
      { name: 'proxy_execute', arguments: { toolkit_slug: 'github', endpoint: '/bytes/300000', method: 'GET', jq: '{size}' } },
      undefined, { timeout: CALL_TIMEOUT_MS });
    const text = textOf(res);
    assert.ok(!res.isError, text);
    assert.ok(text.length < 2000, `filtered text is ${text.length} characters`);
    assert.equal(res.structuredContent.data.size, 300000);
    const id = res.structuredContent.result;
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.ok(text.includes(id), 'the text does not name the stored result');

    const second = await connect();
    const q = await second.callTool(
      { name: 'query_result', arguments: { result: id, jq: '.payload[:20]' } },
      undefined, { timeout: CALL_TIMEOUT_MS });
    assert.ok(!q.isError, textOf(q));
    assert.ok(textOf(q).endsWith('\n"composiotest payload"'), textOf(q));

    const page = await second.callTool({ name: 'query_result', arguments: { result: id, page: 2 } }, undefined, { timeout: CALL_TIMEOUT_MS });
    assert.ok(!page.isError, textOf(page));
    assert.match(textOf(page), /page 2 of \d+/);
  });

  it('refuses a bad filter before sending anything, naming the position', async () => {
    const c = await connect();
    const res = await c.callTool(
      { name: 'proxy_execute', arguments: { toolkit_slug: 'github', endpoint: '/user', method: 'GET', jq: '.items[' } },
      undefined, { timeout: CALL_TIMEOUT_MS });
    assert.ok(res.isError);
    assert.match(textOf(res), /nothing was sent[\s\S]*jq: syntax error at line 1, column \d+/);
  });
});
