// End-to-end tests of the composio-proxy-mcp binary with the official MCP
// TypeScript SDK client (@modelcontextprotocol/sdk, pinned in package.json),
// over each of the three transports: stdio, SSE and Streamable HTTP.
//
// Run: CPM_BIN=/path/to/binary node --test testdata/clients/
//
// The server is started with --sandbox (embedded fake Composio backend; session
// trs_sandbox, github and gmail connected, slack not connected). Every check is
// a hard assertion: a misbehaving server fails the run.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { serverBinary, startHttpServer } from './harness.mjs';

const TOOL = 'proxy_execute';
const CALL_TIMEOUT_MS = 20000;

/** All text of a CallToolResult's text content blocks, joined. */
function textOf(result) {
  assert.ok(Array.isArray(result.content), `result.content is not an array: ${JSON.stringify(result)}`);
  return result.content
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

/** JSON of a value, for assertion messages. */
const j = (v) => JSON.stringify(v, null, 1)?.slice(0, 3000);

/**
 * Defines the full test suite for one transport.
 * `open()` returns { transport, server? (HTTP handle), diag(): string }.
 */
function transportSuite(name, open) {
  describe(`${name} transport`, () => {
    let client;
    let ctx;
    const transportErrors = [];

    before(async () => {
      ctx = await open();
      client = new Client({ name: 'cpm-sdk-e2e', version: '1.0.0' }, { capabilities: {} });
      client.onerror = (e) => transportErrors.push(e);
      try {
        await client.connect(ctx.transport, { timeout: CALL_TIMEOUT_MS });
      } catch (e) {
        throw new Error(`connect over ${name} failed: ${e?.message ?? e}\n${ctx.diag()}`);
      }
    });

    after(async () => {
      try {
        await client?.close();
      } finally {
        await ctx?.server?.stop();
      }
    });

    const call = (args) => client.callTool({ name: TOOL, arguments: args }, undefined, { timeout: CALL_TIMEOUT_MS });

    it('initialize: server reports name, version, protocol and tools capability', () => {
      const info = client.getServerVersion();
      assert.ok(info?.name, `serverInfo.name missing: ${j(info)}`);
      assert.ok(info?.version, `serverInfo.version missing: ${j(info)}`);
      const caps = client.getServerCapabilities();
      assert.ok(caps?.tools, `server did not declare the tools capability: ${j(caps)}`);
    });

    it('ping answers', async () => {
      const res = await client.ping({ timeout: CALL_TIMEOUT_MS });
      assert.deepEqual(Object.keys(res ?? {}).filter((k) => k !== '_meta'), []);
    });

    it('tools/list: proxy_execute with object inputSchema, required fields and outputSchema', async () => {
      const { tools } = await client.listTools(undefined, { timeout: CALL_TIMEOUT_MS });
      const tool = tools.find((t) => t.name === TOOL);
      assert.ok(tool, `tool ${TOOL} not listed; got ${j(tools.map((t) => t.name))}`);
      assert.ok(tool.description && tool.description.length > 0, 'tool has no description');
      const input = tool.inputSchema;
      assert.equal(input.type, 'object', `inputSchema root type: ${j(input)}`);
      for (const f of ['toolkit_slug', 'endpoint', 'method']) {
        assert.ok(input.required?.includes(f), `inputSchema.required lacks ${f}: ${j(input.required)}`);
        assert.ok(input.properties?.[f], `inputSchema.properties lacks ${f}`);
      }
      for (const f of ['body', 'binary_body', 'parameters', 'custom_connection_data']) {
        assert.ok(input.properties?.[f], `inputSchema.properties lacks optional ${f}`);
        assert.ok(!input.required?.includes(f), `${f} must be optional`);
      }
      assert.ok(tool.outputSchema, 'tool has no outputSchema');
      assert.equal(tool.outputSchema.type, 'object', `outputSchema root type: ${j(tool.outputSchema)}`);
      // listTools() makes the SDK client compile the outputSchema; the later
      // successful call is then validated against it by the client itself.
      assert.equal(typeof client.getToolOutputValidator(TOOL), 'function', 'SDK client did not compile the outputSchema');
    });

    it('tools/call success: GET /user is echoed with status 200 and passes the SDK output validation', async () => {
      // callTool throws (McpError) if structuredContent does not match outputSchema.
      const res = await call({
        toolkit_slug: 'github',
        endpoint: '/user',
        method: 'GET',
        parameters: [
          { name: 'per_page', value: '5', type: 'query' },
          { name: 'X-Cpm-Test', value: 'hdr-value-1', type: 'header' },
        ],
      });
      assert.equal(res.isError ?? false, false, `isError set on success: ${j(res)}`);
      const sc = res.structuredContent;
      assert.ok(sc, `no structuredContent: ${j(res)}`);
      assert.equal(sc.status, 200, `structuredContent.status: ${j(sc)}`);
      assert.ok(sc.data && typeof sc.data === 'object', `structuredContent.data: ${j(sc)}`);
      assert.equal(sc.data.toolkit, 'github');
      assert.equal(sc.data.method, 'GET');
      assert.equal(sc.data.endpoint, '/user');
      assert.ok(JSON.stringify(sc.data.query).includes('per_page'), `query not echoed: ${j(sc.data)}`);
      assert.ok(JSON.stringify(sc.data.query).includes('5'), `query value not echoed: ${j(sc.data)}`);
      assert.ok(
        JSON.stringify(sc.data.headers).toLowerCase().includes('x-cpm-test') &&
          JSON.stringify(sc.data.headers).includes('hdr-value-1'),
        `header parameter not echoed: ${j(sc.data.headers)}`,
      );
      assert.ok(sc.headers && typeof sc.headers === 'object', `structuredContent.headers: ${j(sc)}`);
      assert.match(textOf(res), /200/, `text content does not mention the status: ${j(res.content)}`);
    });

    it('tools/call success: POST with a JSON body is echoed with a 2xx status', async () => {
      const res = await call({
        toolkit_slug: 'gmail',
        endpoint: '/users/me/messages/send',
        method: 'POST',
        body: { raw: 'cpm-body-marker' },
      });
      assert.equal(res.isError ?? false, false, `isError set on success: ${j(res)}`);
      // The sandbox answers a POST with a 2xx (201 Created), not necessarily 200.
      const status = res.structuredContent?.status;
      assert.ok(Number.isInteger(status) && status >= 200 && status < 300, `expected a 2xx status: ${j(res)}`);
      assert.match(textOf(res), new RegExp(String(status)), `text content does not mention the status: ${j(res.content)}`);
      assert.equal(res.structuredContent.data.toolkit, 'gmail');
      assert.equal(res.structuredContent.data.method, 'POST');
      assert.ok(JSON.stringify(res.structuredContent.data.body).includes('cpm-body-marker'), `body not echoed: ${j(res.structuredContent.data)}`);
    });

    it('tools/call upstream 404 is a tool error (isError) mentioning 404', async () => {
      const res = await call({ toolkit_slug: 'github', endpoint: '/status/404', method: 'GET' });
      assert.equal(res.isError, true, `expected isError: ${j(res)}`);
      assert.match(textOf(res), /404/, `text does not mention 404: ${j(res.content)}`);
    });

    it('tools/call on a toolkit without connection reports ToolRouterV2_NoActiveConnection', async () => {
      const res = await call({ toolkit_slug: 'slack', endpoint: '/conversations.list', method: 'GET' });
      assert.equal(res.isError, true, `expected isError: ${j(res)}`);
      assert.ok(textOf(res).includes('ToolRouterV2_NoActiveConnection'), `error slug missing from text: ${j(res.content)}`);
    });

    it('tools/call download returns a resource_link with a URL', async () => {
      const res = await call({ toolkit_slug: 'github', endpoint: '/download/report.pdf', method: 'GET' });
      assert.equal(res.isError ?? false, false, `isError set: ${j(res)}`);
      const links = res.content.filter((c) => c.type === 'resource_link');
      assert.equal(links.length >= 1, true, `no resource_link block: ${j(res.content)}`);
      const link = links[0];
      assert.equal(typeof link.uri, 'string', j(link));
      let url;
      assert.doesNotThrow(() => { url = new URL(link.uri); }, `resource_link uri is not a URL: ${link.uri}`);
      assert.match(url.protocol, /^https?:$/, `resource_link uri scheme: ${link.uri}`);
      assert.ok(link.name, `resource_link has no name: ${j(link)}`);
    });

    it('tools/call with a bad argument (method FETCH) is a tool error naming `method`', async () => {
      const res = await call({ toolkit_slug: 'github', endpoint: '/user', method: 'FETCH' });
      assert.equal(res.isError, true, `expected isError: ${j(res)}`);
      assert.match(textOf(res), /method/, `error does not name the method argument: ${j(res.content)}`);
    });

    it('no transport errors were reported to the client', () => {
      assert.deepEqual(
        transportErrors.map((e) => String(e?.message ?? e)),
        [],
        `transport errors:\n${ctx.diag()}`,
      );
    });
  });
}

transportSuite('stdio', async () => {
  let stderr = '';
  const transport = new StdioClientTransport({
    command: serverBinary(),
    args: ['--sandbox'],
    stderr: 'pipe',
  });
  // The SDK exposes the child's stderr stream before start() when stderr: 'pipe'.
  transport.stderr?.setEncoding?.('utf8');
  transport.stderr?.on('data', (d) => { stderr += d; });
  return { transport, diag: () => `--- server stderr ---\n${stderr.slice(-4000)}` };
});

transportSuite('sse', async () => {
  const server = await startHttpServer('sse');
  const transport = new SSEClientTransport(new URL(`${server.baseUrl}/sse`));
  return { transport, server, diag: () => `--- server stderr ---\n${server.stderr().slice(-4000)}` };
});

transportSuite('streamable http', async () => {
  const server = await startHttpServer('http');
  const transport = new StreamableHTTPClientTransport(new URL(`${server.baseUrl}/mcp`));
  return { transport, server, diag: () => `--- server stderr ---\n${server.stderr().slice(-4000)}` };
});
