/**
 * Serve mode: the Api of main/api.ts over loopback HTTP for a browser (tests, machines without a
 * display server). Bound to 127.0.0.1 only; every /api request needs the per-start random token; a
 * foreign Host (DNS rebinding) or Origin (another site in the same browser) is refused before anything
 * is read. The page itself is static and carries no secret: the token arrives in the URL fragment,
 * which browsers never send to a server or put in logs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ApiArgumentError, HTTP_STATUS_DATA_ERROR, HTTP_STATUS_FOR_ERROR, isApiMethod, validateArgs, type ApiEvent, type ApiFailure } from '../api';
import { CheXDeskError, type ErrorInfo } from '../errors';
import { BINARY_MIME, encodeBinary, hasBinary } from '../wire';
import type { CoreService } from '../service/core-service';
import { CONTENT_SECURITY_POLICY } from '../security-policy';

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

const MAX_BODY_BYTES = 1 << 20;

export interface HttpHost {
  server: Server;
  port: number;
  token: string;
  url: string;
  close(): Promise<void>;
}

export async function startHttpHost(core: CoreService, opts: { port?: number; staticDir: string }): Promise<HttpHost> {
  const token = randomBytes(24).toString('base64url');
  const tokenBytes = Buffer.from(token);
  const streams = new Set<ServerResponse>();
  let port = 0;

  const unsubscribe = core.events.subscribe((event: ApiEvent) => {
    const data = `data: ${JSON.stringify(event)}\n\n`;
    for (const res of streams) res.write(data);
  });

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, new CheXDeskError('Internal', err instanceof Error ? err.message : String(err)).toInfo());
      else res.end();
    });
  });

  const allowedHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends Host: evil.example.
    if (!req.headers.host || !allowedHosts().includes(req.headers.host.toLowerCase())) {
      return sendError(res, 403, { code: 'AccessDenied', reason: 'this server answers only to 127.0.0.1 and localhost' });
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedHosts().some((h) => origin.toLowerCase() === `http://${h}`)) {
      return sendError(res, 403, { code: 'AccessDenied', reason: 'requests from other sites are refused' });
    }
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    if (url.pathname.startsWith('/api/')) return handleApi(req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, { code: 'InvalidArgument', reason: 'method not allowed' });
    return serveStatic(res, url.pathname);
  }

  function authorised(req: IncomingMessage, url: URL): boolean {
    const header = req.headers.authorization;
    const given = header?.startsWith('Bearer ') ? header.slice(7) : url.searchParams.get('token');
    if (!given) return false;
    const bytes = Buffer.from(given);
    return bytes.length === tokenBytes.length && timingSafeEqual(bytes, tokenBytes);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!authorised(req, url)) return sendError(res, 401, { code: 'AccessDenied', reason: 'missing or wrong token' });
    const name = url.pathname.slice('/api/'.length);
    if (name === 'events') {
      if (req.method !== 'GET') return sendError(res, 405, { code: 'InvalidArgument', reason: 'use GET for the event stream' });
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      res.write(': connected\n\n');
      streams.add(res);
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      req.on('close', () => {
        clearInterval(keepAlive);
        streams.delete(res);
      });
      return;
    }
    if (!isApiMethod(name)) return sendError(res, 404, { code: 'InvalidArgument', reason: `no API method "${name}"` });
    if (req.method !== 'POST') return sendError(res, 405, { code: 'InvalidArgument', reason: 'API methods are called with POST' });
    let raw: unknown;
    try {
      const body = await readBody(req);
      raw = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch (err) {
      return sendError(res, err instanceof CheXDeskError ? 413 : 400, { code: 'InvalidArgument', reason: err instanceof CheXDeskError ? err.reason : 'the body is not JSON' });
    }
    let result: unknown;
    try {
      const args = validateArgs(name, raw);
      // Each method takes its own validated argument type; the index signature loses that link.
      result = await (core[name] as (a: unknown) => Promise<unknown>).call(core, args);
    } catch (err) {
      if (err instanceof ApiArgumentError) return sendError(res, 400, { code: 'InvalidArgument', reason: err.message });
      if (err instanceof CheXDeskError) return sendError(res, HTTP_STATUS_FOR_ERROR[err.code] ?? HTTP_STATUS_DATA_ERROR, err.toInfo());
      return sendError(res, 500, new CheXDeskError('Internal', err instanceof Error ? err.message : String(err)).toInfo());
    }
    if (hasBinary(result)) {
      const body = encodeBinary(result);
      res.writeHead(200, { 'Content-Type': BINARY_MIME, 'Content-Length': body.byteLength });
      res.end(body);
    } else {
      const body = JSON.stringify(result ?? null);
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    }
  }

  async function serveStatic(res: ServerResponse, pathname: string): Promise<void> {
    const rel = pathname === '/' ? 'index.html' : normalize(decodeURIComponent(pathname)).replace(/^[/\\]+/, '');
    if (rel.split(/[/\\]/).includes('..') || !STATIC_TYPES[extname(rel)]) return sendError(res, 404, { code: 'FileUnreadable', reason: 'not found' });
    let body: Buffer;
    try {
      body = await readFile(join(opts.staticDir, rel));
    } catch {
      return sendError(res, 404, { code: 'FileUnreadable', reason: 'not found' });
    }
    const headers: Record<string, string | number> = { 'Content-Type': STATIC_TYPES[extname(rel)]!, 'Content-Length': body.byteLength };
    if (rel.endsWith('.html')) {
      headers['Content-Security-Policy'] = CONTENT_SECURITY_POLICY;
      headers['X-Frame-Options'] = 'DENY';
    }
    res.writeHead(200, headers);
    res.end(body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/#token=${token}`;
  return {
    server,
    port,
    token,
    url,
    close: async () => {
      unsubscribe();
      for (const res of streams) res.end();
      streams.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sendError(res: ServerResponse, status: number, error: ErrorInfo): void {
  const body = JSON.stringify({ error } satisfies ApiFailure);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Bodies beyond this are not even drained: the connection is cut. */
const MAX_DRAIN_BYTES = 64 << 20;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (refused) {
        // Drain the rest so the client reads our 413 instead of a reset connection.
        if (size > MAX_DRAIN_BYTES) req.destroy();
        return;
      }
      if (size > MAX_BODY_BYTES) {
        refused = true;
        chunks.length = 0;
        reject(new CheXDeskError('InvalidArgument', `request body larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!refused) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}
