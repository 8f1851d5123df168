#!/usr/bin/env node
// An MCP client built on the TypeScript SDK's own OAuth support
// (@modelcontextprotocol/sdk: StreamableHTTPClientTransport + an
// OAuthClientProvider), wired for the conformance client contract:
//
//   sdk-client.mjs [--] <mcp-server-url>
//   env MCP_CONFORMANCE_SCENARIO, MCP_CONFORMANCE_CONTEXT (JSON), BROWSER, HOME
//
// It connects, lists the tools, calls the context's `tool` (else the first
// listed) with its `arguments`, and exits 0; any failure exits 1. What it
// does about OAuth is the SDK's: discovery, DCR, CIMD (the SDK only takes an
// https metadata URL), pre-registration, PKCE, the resource parameter,
// refresh, step-up, client credentials (ClientCredentialsProvider,
// PrivateKeyJwtProvider). Discovery is not cached (no discoveryState()):
// the SDK then discovers afresh on every authorization, as its own examples
// do; with a cached discovery state it never notices the protected
// resource moving to another authorization server (docs/INTEROP.md). The wiring only does what the SDK leaves to the
// application: open the browser, receive the code at a loopback callback
// (listening before the browser opens), check `state`, persist tokens under
// HOME (so a "restart" of the same command reuses them).
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import {
    ClientCredentialsProvider,
    PrivateKeyJwtProvider
} from '@modelcontextprotocol/sdk/client/auth-extensions.js';

// The official conformance suite's clients present this URL as their
// Client ID Metadata Document when the context names none.
const OFFICIAL_CIMD_URL = 'https://conformance-test.local/client-metadata.json';
// Authorization rounds (initial + step-ups) before giving up: a server that
// keeps asking for more scope must not keep us looping.
const MAX_AUTH_ROUNDS = 3;
const CALLBACK_WAIT_MS = 20000;

function log(...a) {
    console.error('sdk-client:', ...a);
}

function parseContext() {
    const text = process.env.MCP_CONFORMANCE_CONTEXT;
    if (!text) {
        return {};
    }
    try {
        const ctx = JSON.parse(text);
        return ctx && typeof ctx === 'object' ? ctx : {};
    } catch (e) {
        throw new Error(`MCP_CONFORMANCE_CONTEXT is not JSON: ${e.message}`);
    }
}

// --- persistence under HOME: tokens and registrations survive a restart ---

class Store {
    constructor(serverUrl) {
        const dir = join(homedir(), '.authcheck-sdk-client');
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const key = createHash('sha256').update(serverUrl).digest('hex').slice(0, 16);
        this.path = join(dir, `${key}.json`);
        try {
            this.data = JSON.parse(readFileSync(this.path, 'utf8'));
        } catch {
            this.data = {};
        }
    }
    get(k) {
        return this.data[k];
    }
    set(k, v) {
        if (v === undefined) {
            delete this.data[k];
        } else {
            this.data[k] = v;
        }
        const tmp = `${this.path}.tmp`;
        writeFileSync(tmp, JSON.stringify(this.data), { mode: 0o600 });
        renameSync(tmp, this.path);
    }
}

// --- the loopback callback: listening before the browser is opened ---

class Callback {
    async listen() {
        this.waiters = [];
        this.server = createServer((req, res) => this.onRequest(req, res));
        await new Promise((resolve, reject) => {
            this.server.once('error', reject);
            this.server.listen(0, '127.0.0.1', resolve);
        });
        this.url = `http://127.0.0.1:${this.server.address().port}/callback`;
    }
    onRequest(req, res) {
        const u = new URL(req.url, this.url);
        if (u.pathname !== '/callback') {
            res.writeHead(404).end('not found');
            return;
        }
        const state = u.searchParams.get('state');
        // The SDK leaves state to the application: a callback whose state is
        // not the one we sent is someone else's, answered and ignored.
        if (this.expectedState === undefined || state !== this.expectedState) {
            log('callback with an unexpected state: ignored');
            res.writeHead(400, { 'content-type': 'text/plain' }).end('unexpected state');
            return;
        }
        this.expectedState = undefined;
        const error = u.searchParams.get('error');
        const code = u.searchParams.get('code');
        res.writeHead(error || !code ? 400 : 200, { 'content-type': 'text/plain' });
        res.end(error || !code ? 'authorization failed' : 'authorized; you may close this window');
        const w = this.waiters.shift();
        if (w) {
            w(error || !code ? { error: error || 'no code' } : { code });
        }
    }
    next() {
        return new Promise((resolve, reject) => {
            const t = setTimeout(() => reject(new Error('no authorization callback')), CALLBACK_WAIT_MS);
            this.waiters.push(r => {
                clearTimeout(t);
                r.error ? reject(new Error(`authorization failed: ${r.error}`)) : resolve(r.code);
            });
        });
    }
    close() {
        this.server?.close();
    }
}

// Open the authorization URL as a desktop client would: $BROWSER (the
// harness's headless user agent). Without one, follow it ourselves.
async function openBrowser(url) {
    const browser = process.env.BROWSER;
    if (browser) {
        const child = spawn(browser, [url.toString()], { stdio: ['ignore', 'ignore', 'inherit'] });
        child.on('error', e => log(`cannot run $BROWSER: ${e.message}`));
        return;
    }
    let next = url.toString();
    for (let hops = 0; hops < 10 && next; hops++) {
        const r = await fetch(next, { redirect: 'manual' });
        const loc = r.headers.get('location');
        await r.body?.cancel();
        next = r.status >= 300 && r.status < 400 && loc ? new URL(loc, next).toString() : null;
    }
}

// --- the OAuthClientProvider for the authorization code flow ---

class AuthCodeProvider {
    constructor(store, callback, ctx) {
        this.store = store;
        this.callback = callback;
        this.ctx = ctx;
        const cimd = typeof ctx.client_metadata_url === 'string' ? ctx.client_metadata_url : '';
        // The SDK refuses a non-https metadata URL outright (CIMD requires
        // https); offer the official suite's URL instead, as its clients do.
        this.clientMetadataUrl = cimd.startsWith('https://') ? cimd : OFFICIAL_CIMD_URL;
    }
    get redirectUrl() {
        return this.callback.url;
    }
    get clientMetadata() {
        return {
            client_name: 'authcheck interop: TypeScript SDK client',
            redirect_uris: [this.callback.url],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            token_endpoint_auth_method: this.ctx.client_secret ? 'client_secret_basic' : 'none'
        };
    }
    state() {
        this.callback.expectedState = randomBytes(24).toString('base64url');
        return this.callback.expectedState;
    }
    clientInformation() {
        if (this.ctx.client_id) {
            // pre-registered: from the context, never registered again
            return {
                client_id: this.ctx.client_id,
                ...(this.ctx.client_secret && { client_secret: this.ctx.client_secret })
            };
        }
        return this.store.get('client');
    }
    saveClientInformation(info) {
        if (!this.ctx.client_id) {
            this.store.set('client', info);
        }
    }
    tokens() {
        return this.store.get('tokens');
    }
    saveTokens(tokens) {
        this.store.set('tokens', tokens);
    }
    async redirectToAuthorization(url) {
        this.pending = this.callback.next();
        this.pending.catch(() => {}); // awaited by the caller
        await openBrowser(url);
    }
    saveCodeVerifier(v) {
        this.verifier = v;
    }
    codeVerifier() {
        if (!this.verifier) {
            throw new Error('no code verifier saved');
        }
        return this.verifier;
    }
    invalidateCredentials(scope) {
        if (scope === 'all' || scope === 'client') {
            this.store.set('client', undefined);
        }
        if (scope === 'all' || scope === 'tokens') {
            this.store.set('tokens', undefined);
        }
        if (scope === 'all' || scope === 'verifier') {
            this.verifier = undefined;
        }
    }
}

// The client credentials scenarios carry their key material in the
// context; everything else is an authorization code flow.
function machineProvider(scenario, ctx) {
    if (!/client-credentials/.test(scenario)) {
        return null;
    }
    if (ctx.private_key_pem) {
        return new PrivateKeyJwtProvider({
            clientId: ctx.client_id,
            privateKey: ctx.private_key_pem,
            algorithm: ctx.signing_algorithm || 'ES256',
            clientName: 'authcheck interop: TypeScript SDK client'
        });
    }
    return new ClientCredentialsProvider({
        clientId: ctx.client_id,
        clientSecret: ctx.client_secret,
        clientName: 'authcheck interop: TypeScript SDK client'
    });
}

// Run `op` (which uses `transport`); on UnauthorizedError wait for the
// browser's callback, finish the flow and run it again on a fresh
// connection, up to MAX_AUTH_ROUNDS authorizations.
async function withAuth(url, provider, op) {
    for (let round = 1; ; round++) {
        const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
        const client = new Client({ name: 'authcheck-sdk-client', version: '1.0.0' });
        try {
            await client.connect(transport);
            return await op(client);
        } catch (e) {
            if (!(e instanceof UnauthorizedError) || !provider.pending || round >= MAX_AUTH_ROUNDS) {
                throw e;
            }
            const code = await provider.pending;
            provider.pending = undefined;
            await transport.finishAuth(code);
        } finally {
            await client.close().catch(() => {});
        }
    }
}

async function useServer(client, ctx) {
    const { tools } = await client.listTools();
    log(`tools: ${tools.map(t => t.name).join(', ') || '(none)'}`);
    const name = ctx.tool || tools[0]?.name;
    if (!name) {
        throw new Error('the server lists no tool to call');
    }
    const result = await client.callTool({ name, arguments: ctx.arguments || {} });
    if (result.isError) {
        throw new Error(`tool ${name} returned an error`);
    }
    log(`called ${name}`);
}

async function main() {
    const args = process.argv.slice(2).filter(a => a !== '--');
    const url = args[args.length - 1];
    if (!url) {
        throw new Error('usage: sdk-client.mjs <mcp-server-url>');
    }
    const scenario = process.env.MCP_CONFORMANCE_SCENARIO || '';
    const ctx = parseContext();
    const machine = machineProvider(scenario, ctx);
    if (machine) {
        await withAuth(url, machine, c => useServer(c, ctx));
        return;
    }
    const callback = new Callback();
    await callback.listen();
    try {
        const provider = new AuthCodeProvider(new Store(url), callback, ctx);
        await withAuth(url, provider, c => useServer(c, ctx));
    } finally {
        callback.close();
    }
}

main().then(
    () => process.exit(0),
    e => {
        log(`failed: ${e?.message ?? e}`);
        process.exit(1);
    }
);
