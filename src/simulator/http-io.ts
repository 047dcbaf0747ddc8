import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Reply } from './envelope.ts';

/**
 * Reading requests into plain data (for routing and the journal) and
 * writing replies. Nothing here throws on odd input: bad encodings, huge
 * bodies and unknown content types all come out as data.
 */

/** Bodies beyond this are refused: no Type A request comes near it. */
export const MAX_BODY_BYTES = 64 * 1024;

export type BodyKind = 'none' | 'form' | 'json' | 'text';

/** One request as the simulator received it (the `requests` journal). */
export interface SimRequest {
  method: string;
  /** Full path without the query: `/openapi/typea/orders/regular`. */
  path: string;
  /** The path after `/openapi/typea/`: `orders/regular`. */
  route: string;
  /** Exactly as sent, still percent-encoded: `i=NSE%3AM%26M`. */
  rawQuery: string;
  /** Decoded; repeated keys keep every value in order. */
  query: Record<string, string[]>;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  bodyKind: BodyKind;
  /** Form: field → first value; JSON: the parsed value; text: the text. */
  body: unknown;
  bodyText: string;
  /** Epoch ms by the simulator's clock. */
  at: number;
  /** The fault applied to this request, if any (`offline`, `reset`, …). */
  fault?: string;
}

export interface RawBody {
  text: string;
  tooLarge: boolean;
}

export function splitUrl(url: string | undefined): {
  path: string;
  rawQuery: string;
} {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q === -1
    ? { path: raw, rawQuery: '' }
    : { path: raw.slice(0, q), rawQuery: raw.slice(q + 1) };
}

/** Reads the body up to {@link MAX_BODY_BYTES}; the rest is discarded. */
export function readBody(req: IncomingMessage): Promise<RawBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () =>
      resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge }),
    );
    // An aborted upload: route what arrived; the reply will go nowhere.
    req.on('error', () =>
      resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge }),
    );
  });
}

export function parseQuery(rawQuery: string): Record<string, string[]> {
  const query: Record<string, string[]> = Object.create(null) as Record<
    string,
    string[]
  >;
  for (const [key, value] of new URLSearchParams(rawQuery)) {
    (query[key] ??= []).push(value);
  }
  return query;
}

export function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** Classifies and parses the body by its content type. */
export function parseBody(
  contentType: string | undefined,
  text: string,
): { kind: BodyKind; body: unknown } {
  if (text.length === 0) return { kind: 'none', body: null };
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      return { kind: 'json', body: JSON.parse(text) as unknown };
    } catch {
      return { kind: 'text', body: text };
    }
  }
  // curl and most clients label form bodies; an unlabelled body is read
  // as a form too, the way ASP.NET-style binding would.
  if (type === 'application/x-www-form-urlencoded' || type === '') {
    const form: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(text)) {
      if (!Object.hasOwn(form, key)) {
        Object.defineProperty(form, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
    return { kind: 'form', body: form };
  }
  return { kind: 'text', body: text };
}

/** Writes a reply; the `Date` header follows the simulator's clock. */
export function sendReply(res: ServerResponse, reply: Reply, now: number) {
  if (res.headersSent || res.destroyed) return;
  let payload = '';
  let contentType = 'application/json; charset=utf-8';
  if (typeof reply.body === 'string') {
    payload = reply.body;
    contentType = 'text/plain; charset=utf-8';
  } else if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
  }
  res.sendDate = false;
  res.writeHead(reply.status, {
    date: new Date(now).toUTCString(),
    'content-type': contentType,
    'content-length': Buffer.byteLength(payload),
    ...reply.headers,
  });
  res.end(payload);
}
