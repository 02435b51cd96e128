// Sign-in (OAuth) with the official MCP TypeScript SDK client: the binary runs
// with --sandbox and --oauth-issuer pointing at a small OpenID Connect issuer
// this test runs on loopback (discovery + JWKS, an RSA key from node:crypto,
// RS256 tokens signed here). The client sends its access token as a bearer
// header over streamable HTTP.
//
// Run: CPM_BIN=/path/to/binary node --test testdata/clients/

import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { startHttpServer } from './harness.mjs';

const AUDIENCE = 'https://mcp.sdk.test/mcp';
const CALL_TIMEOUT_MS = 20000;

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** An OIDC issuer on 127.0.0.1 with one RSA key; token(claims) signs with it. */
async function startIssuer() {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'sdk-key-1', alg: 'RS256', use: 'sig' };
  let url;
  const srv = http.createServer((req, res) => {
    const json = (v) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    if (req.url === '/.well-known/openid-configuration') {
      return json({
        issuer: url,
        authorization_endpoint: `${url}/authorize`,
        token_endpoint: `${url}/token`,
        jwks_uri: `${url}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (req.url === '/jwks') return json({ keys: [jwk] });
    res.writeHead(404).end();
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${srv.address().port}`;
  const token = (sub) => {
    const now = Math.floor(Date.now() / 1000);
    const input = `${b64url({ alg: 'RS256', typ: 'at+jwt', kid: jwk.kid })}.${b64url({ iss: url, sub, aud: AUDIENCE, iat: now, exp: now + 3600 })}`;
    return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  };
  return { url, token, close: () => new Promise((resolve) => srv.close(resolve)) };
}

describe('sign-in (OAuth) over streamable HTTP', () => {
  let issuer;
  let server;
  let client;
  let token;

  before(async () => {
    issuer = await startIssuer();
    server = await startHttpServer('http', { extraArgs: ['--oauth-issuer', issuer.url, '--oauth-audience', AUDIENCE] });
    token = issuer.token('sdk-user@example.test');
    client = new Client({ name: 'cpm-sdk-oauth', version: '1.0.0' }, { capabilities: {} });
    const transport = new StreamableHTTPClientTransport(new URL(`${server.baseUrl}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    });
    try {
      await client.connect(transport, { timeout: CALL_TIMEOUT_MS });
    } catch (e) {
      throw new Error(`connect with a bearer token failed: ${e?.message ?? e}\n${server.stderr().slice(-4000)}`);
    }
  });

  after(async () => {
    try {
      await client?.close();
    } finally {
      await server?.stop();
      await issuer?.close();
    }
  });

  it('lists the tools and calls proxy_execute as the signed-in user', async () => {
    const { tools } = await client.listTools(undefined, { timeout: CALL_TIMEOUT_MS });
    assert.ok(tools.some((t) => t.name === 'proxy_execute'), JSON.stringify(tools.map((t) => t.name)));
    const res = await client.callTool(
      { name: 'proxy_execute', arguments: { toolkit_slug: 'github', endpoint: '/user', method: 'GET' } },
      undefined,
      { timeout: CALL_TIMEOUT_MS },
    );
    assert.equal(res.isError ?? false, false, JSON.stringify(res).slice(0, 2000));
    assert.equal(res.structuredContent?.status, 200, JSON.stringify(res.structuredContent).slice(0, 2000));
  });

  it('refuses a request without a token with 401 and a challenge naming the metadata', async () => {
    const res = await fetch(`${server.baseUrl}/mcp`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    await res.body?.cancel();
    assert.equal(res.status, 401);
    assert.equal(
      res.headers.get('www-authenticate'),
      `Bearer resource_metadata="${server.baseUrl}/.well-known/oauth-protected-resource/mcp"`,
    );
    const noToken = new Client({ name: 'cpm-sdk-oauth-anon', version: '1.0.0' }, { capabilities: {} });
    await assert.rejects(
      noToken.connect(new StreamableHTTPClientTransport(new URL(`${server.baseUrl}/mcp`)), { timeout: CALL_TIMEOUT_MS }),
      (e) => /401|nauthorized/.test(String(e?.message ?? e)) || e?.code === 401,
    );
  });

  it('never logs the token', () => {
    assert.ok(!server.stderr().includes(token), 'the token is in the server log');
  });
});
