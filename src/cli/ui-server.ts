// `breakglass ui`'s HTTP server: the built renderer and the IPC contract on 127.0.0.1, as strict as
// the Electron window (loopback only, a per-run token in a header, Host and Origin checked, one CSP).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { RENDERER_CSP, UI_TOKEN_HEADER } from '../core/ui.js';
import { invokeAppChannel, type AppContext } from '../vault/index.js';

/** Where `npm run build` puts the renderer, relative to this file in dist/src/cli. */
export const RENDERER_DIR = resolve(import.meta.dirname, '../../renderer');

const MAX_BODY = 2 * 1024 * 1024;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const SECURITY_HEADERS = {
  'Content-Security-Policy': RENDERER_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** A running `breakglass ui`: its address, its token (for the URL fragment only) and how to stop it. */
export interface UiServer {
  readonly origin: string;
  /** The page's URL with the token in the fragment, which browsers never send to a server. */
  readonly url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const refuse = (res: ServerResponse, status: number, code: string, message: string): void =>
  send(res, status, 'application/json', JSON.stringify({ ok: false, error: { code, message } }));

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((done, fail) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_BODY) {
        done(null);
        req.destroy();
      } else parts.push(d);
    });
    req.on('end', () => done(Buffer.concat(parts)));
    req.on('error', fail);
  });
}

function sameToken(given: string | string[] | undefined, token: Buffer): boolean {
  if (typeof given !== 'string') return false;
  const bytes = Buffer.from(given, 'utf8');
  return bytes.length === token.length && timingSafeEqual(bytes, token);
}

async function serveStatic(res: ServerResponse, dir: string, pathname: string): Promise<void> {
  const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
  const file = normalize(join(dir, rel));
  const type = TYPES[extname(file)];
  if (!file.startsWith(dir + sep) || !type) return refuse(res, 404, 'NOT_FOUND', 'no such page');
  try {
    send(res, 200, type, await readFile(file));
  } catch {
    refuse(res, 404, 'NOT_FOUND', 'no such page');
  }
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: AppContext,
  origin: string,
  token: Buffer,
  dir: string,
): Promise<void> {
  // DNS rebinding: a page of another site that resolves its name to 127.0.0.1 still sends its own Host.
  if (req.headers.host !== new URL(origin).host) return refuse(res, 421, 'POLICY_DENIED', 'wrong Host header');
  const from = req.headers.origin;
  if (from !== undefined && from !== origin) return refuse(res, 403, 'POLICY_DENIED', 'requests from other origins are refused');
  const url = new URL(req.url ?? '/', origin);
  if (req.method === 'GET' || req.method === 'HEAD') {
    if (url.pathname.startsWith('/api/')) return refuse(res, 405, 'BAD_INPUT', 'the API takes POST only');
    return serveStatic(res, dir, url.pathname);
  }
  if (req.method !== 'POST' || !url.pathname.startsWith('/api/')) return refuse(res, 405, 'BAD_INPUT', 'method not allowed');
  // A page must name its origin on a POST, and prove it was opened from the printed URL.
  if (from !== origin) return refuse(res, 403, 'POLICY_DENIED', 'requests from other origins are refused');
  if (!sameToken(req.headers[UI_TOKEN_HEADER], token))
    return refuse(res, 401, 'POLICY_DENIED', 'missing or wrong token: open the URL that "breakglass ui" printed');
  if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
    return refuse(res, 415, 'BAD_INPUT', 'the API takes application/json');
  const body = await readBody(req);
  if (body === null) return refuse(res, 413, 'BAD_INPUT', 'the request is too large');
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    return refuse(res, 400, 'BAD_INPUT', 'the request body is not JSON');
  }
  const result = await invokeAppChannel(ctx, url.pathname.slice('/api/'.length), input);
  send(res, 200, 'application/json', JSON.stringify(result));
}

/**
 * Starts the UI server on 127.0.0.1 (port 0 picks a free one) with a fresh random token. Every API
 * call goes through `invokeAppChannel`, the same code the Electron main process uses.
 */
export async function startUiServer(ctx: AppContext, options: { port: number; rendererDir?: string }): Promise<UiServer> {
  const dir = resolve(options.rendererDir ?? RENDERER_DIR);
  const tokenText = randomBytes(32).toString('base64url');
  const token = Buffer.from(tokenText, 'utf8');
  let origin = '';
  const server: Server = createServer((req, res) => {
    handle(req, res, ctx, origin, token, dir).catch(() => {
      if (!res.headersSent) refuse(res, 500, 'INTERNAL', 'an unexpected error occurred');
      else res.destroy();
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port, '127.0.0.1', () => done());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the UI server has no TCP address');
  origin = `http://127.0.0.1:${address.port}`;
  return {
    origin,
    url: `${origin}/#token=${tokenText}`,
    close: () =>
      new Promise((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
