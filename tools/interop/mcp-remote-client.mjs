#!/usr/bin/env node
// Drives mcp-remote (the stdio-to-HTTP MCP proxy with its own OAuth client)
// as a desktop host would: spawns it for the server URL, then speaks MCP to
// it over stdio: initialize, notifications/initialized, tools/list,
// tools/call (the context's `tool`, else the first listed), and exits 0;
// any failure exits 1. All of the OAuth is mcp-remote's own; BROWSER and
// HOME come from the harness unchanged (mcp-remote opens the authorization
// URL with the `open` package, whose xdg-open honours $BROWSER, and keeps
// its tokens under ~/.mcp-auth).
//
//   mcp-remote-client.mjs [--] <mcp-server-url>
//   env MCP_CONFORMANCE_SCENARIO, MCP_CONFORMANCE_CONTEXT, MCP_CONFORMANCE_PROTOCOL_VERSION
//
// The context maps onto mcp-remote's options: client_id/client_secret ->
// --static-oauth-client-info (with --client-credentials in the client
// credentials scenarios); a client metadata URL -> --client-metadata-url
// (https only, as mcp-remote requires; the official suite's fixed URL when
// the context has none).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

const OFFICIAL_CIMD_URL = 'https://conformance-test.local/client-metadata.json';
const REQUEST_TIMEOUT_MS = 25000;

function log(...a) {
    console.error('mcp-remote-client:', ...a);
}

function proxyPath() {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('mcp-remote/package.json')), 'dist', 'proxy.js');
}

// A port for mcp-remote's callback. Left to itself it derives one from a
// hash of the server URL, often in the kernel's ephemeral range, and exits
// ("Callback port N is already in use") when a busy machine has that port
// taken meanwhile (RFC 8252 §7.3 would have it take any free port). So
// the driver picks one below the ephemeral range, which the kernel never
// hands out to port-0 listeners or outgoing connections, and checks that
// it is free now.
function ephemeralFloor() {
    try {
        const lo = parseInt(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'), 10);
        return lo > 21024 ? lo : 32768;
    } catch {
        return 32768;
    }
}

function tryPort(port) {
    return new Promise(resolve => {
        const s = createServer();
        s.once('error', () => resolve(false));
        s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
}

async function callbackPort() {
    const floor = ephemeralFloor();
    for (let i = 0; i < 50; i++) {
        const port = 20000 + Math.floor(Math.random() * (floor - 20000));
        if (await tryPort(port)) {
            return port;
        }
    }
    throw new Error('no free callback port below the ephemeral range');
}

function remoteArgs(url, port, scenario, ctx) {
    const args = [proxyPath(), url, String(port), '--transport', 'http-only'];
    if (ctx.client_id) {
        const info = { client_id: ctx.client_id };
        if (ctx.client_secret) {
            info.client_secret = ctx.client_secret;
        }
        args.push('--static-oauth-client-info', JSON.stringify(info));
    }
    if (/client-credentials/.test(scenario)) {
        args.push('--client-credentials');
    }
    const cimd = typeof ctx.client_metadata_url === 'string' ? ctx.client_metadata_url : '';
    args.push('--client-metadata-url', cimd.startsWith('https://') ? cimd : OFFICIAL_CIMD_URL);
    return args;
}

// Newline-delimited JSON-RPC over the child's stdio.
class Rpc {
    constructor(child) {
        this.child = child;
        this.nextId = 1;
        this.pending = new Map();
        createInterface({ input: child.stdout }).on('line', line => this.onLine(line));
        child.on('exit', (code, signal) => {
            for (const { reject } of this.pending.values()) {
                reject(new Error(`mcp-remote exited (${signal ?? code})`));
            }
            this.pending.clear();
        });
    }
    onLine(line) {
        let msg;
        try {
            msg = JSON.parse(line);
        } catch {
            return; // not ours
        }
        const p = msg.id !== undefined && this.pending.get(msg.id);
        if (!p || (msg.result === undefined && msg.error === undefined)) {
            return; // a notification or a server request: nothing to do
        }
        this.pending.delete(msg.id);
        msg.error ? p.reject(new Error(`${msg.error.code}: ${msg.error.message}`)) : p.resolve(msg.result);
    }
    send(msg) {
        this.child.stdin.write(`${JSON.stringify(msg)}\n`);
    }
    request(method, params) {
        const id = this.nextId++;
        return new Promise((resolve, reject) => {
            const t = setTimeout(() => {
                this.pending.delete(id);
                reject(new Error(`${method}: no answer in ${REQUEST_TIMEOUT_MS} ms`));
            }, REQUEST_TIMEOUT_MS);
            this.pending.set(id, {
                resolve: r => (clearTimeout(t), resolve(r)),
                reject: e => (clearTimeout(t), reject(e))
            });
            this.send({ jsonrpc: '2.0', id, method, params });
        });
    }
}

async function main() {
    const args = process.argv.slice(2).filter(a => a !== '--');
    const url = args[args.length - 1];
    if (!url) {
        throw new Error('usage: mcp-remote-client.mjs <mcp-server-url>');
    }
    const scenario = process.env.MCP_CONFORMANCE_SCENARIO || '';
    const ctx = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT || '{}');
    const child = spawn(process.execPath, remoteArgs(url, await callbackPort(), scenario, ctx), {
        stdio: ['pipe', 'pipe', 'inherit']
    });
    const rpc = new Rpc(child);
    try {
        const init = await rpc.request('initialize', {
            protocolVersion: process.env.MCP_CONFORMANCE_PROTOCOL_VERSION || '2025-11-25',
            capabilities: {},
            clientInfo: { name: 'authcheck-mcp-remote-driver', version: '1.0.0' }
        });
        log(`initialized: ${init.serverInfo?.name ?? '?'} ${init.protocolVersion}`);
        rpc.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
        const { tools } = await rpc.request('tools/list', {});
        log(`tools: ${tools.map(t => t.name).join(', ') || '(none)'}`);
        const name = ctx.tool || tools[0]?.name;
        if (!name) {
            throw new Error('the server lists no tool to call');
        }
        const result = await rpc.request('tools/call', { name, arguments: ctx.arguments || {} });
        if (result.isError) {
            throw new Error(`tool ${name} returned an error`);
        }
        log(`called ${name}`);
    } finally {
        child.stdin.end();
        child.kill('SIGTERM');
    }
}

main().then(
    () => process.exit(0),
    e => {
        log(`failed: ${e?.message ?? e}`);
        process.exit(1);
    }
);
