import { z } from 'zod';
import type { Reply } from './envelope.ts';
import type { Fault, FaultMatch } from './faults.ts';
import type { SimRequest } from './http-io.ts';

/**
 * `/__sim/*`: the test controls over HTTP, for a test or demo driving the
 * simulator from another process. JSON in, `{ ok, ... }` out; loopback
 * callers only.
 */

export const ADMIN_PATH = '/__sim';

/** The part of the simulator handle the admin surface drives. */
export interface AdminControls {
  setPrice(key: string, price: number): void;
  price(key: string): number | undefined;
  tick(): void;
  fillOrder(orderId: string, quantity?: number): void;
  rejectOrder(orderId: string, reason: string): void;
  inject(match: FaultMatch, fault: Fault, times?: number): void;
  setOffline(on: boolean): void;
  expireSessions(): void;
  clearFaults(): void;
  clearRequests(): void;
  orders(): unknown[];
  readonly requests: readonly SimRequest[];
}

const lostReply = z.enum(['hang', 'reset', 'empty']);
const faultSchema: z.ZodType<Fault> = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('status'),
    status: z.number().int().min(100).max(599),
    body: z.unknown().optional(),
  }),
  z.object({
    type: z.literal('html'),
    status: z.number().int().min(100).max(599),
  }),
  z.object({ type: z.literal('hang') }),
  z.object({ type: z.literal('reset') }),
  z.object({ type: z.literal('empty') }),
  z.object({ type: z.literal('after-write'), then: lostReply }),
  z.object({ type: z.literal('token-expired') }),
  z.object({
    type: z.literal('rate-limited'),
    retryAfterS: z.number().int().min(0).max(3600).optional(),
  }),
  z.object({
    type: z.literal('delay'),
    ms: z.number().int().min(0).max(600_000),
  }),
]);

const bodies = {
  'set-price': z.object({ key: z.string().min(1), price: z.number() }),
  fill: z.object({
    orderId: z.string().min(1),
    quantity: z.number().int().positive().optional(),
  }),
  reject: z.object({ orderId: z.string().min(1), reason: z.string().min(1) }),
  inject: z.object({
    method: z.string().optional(),
    path: z.string().optional(),
    /** A regular expression source, tried on the route and the path. */
    pathPattern: z.string().max(500).optional(),
    fault: faultSchema,
    times: z.number().int().positive().optional(),
  }),
  offline: z.object({ on: z.boolean() }),
  empty: z.object({}).passthrough(),
};

export function handleAdmin(
  controls: AdminControls,
  request: SimRequest,
): Reply {
  const action = request.path.slice(ADMIN_PATH.length + 1);
  try {
    if (request.method === 'GET') return read(controls, action, request);
    if (request.method !== 'POST') {
      return fail(405, 'use GET to read and POST (JSON) to change');
    }
    if (request.bodyKind !== 'json' && request.bodyKind !== 'none') {
      return fail(400, 'send a JSON body (content-type application/json)');
    }
    const body = request.body ?? {};
    switch (action) {
      case 'set-price': {
        const b = bodies['set-price'].parse(body);
        controls.setPrice(b.key, b.price);
        return ok({ price: controls.price(b.key) });
      }
      case 'tick':
        controls.tick();
        return ok({});
      case 'fill': {
        const b = bodies.fill.parse(body);
        controls.fillOrder(b.orderId, b.quantity);
        return ok({});
      }
      case 'reject': {
        const b = bodies.reject.parse(body);
        controls.rejectOrder(b.orderId, b.reason);
        return ok({});
      }
      case 'inject': {
        const b = bodies.inject.parse(body);
        const match: FaultMatch = {};
        if (b.method !== undefined) match.method = b.method;
        if (b.pathPattern !== undefined) {
          match.path = new RegExp(b.pathPattern);
        } else if (b.path !== undefined) {
          match.path = b.path;
        }
        controls.inject(match, b.fault, b.times ?? 1);
        return ok({});
      }
      case 'offline':
        controls.setOffline(bodies.offline.parse(body).on);
        return ok({});
      case 'expire-sessions':
        controls.expireSessions();
        return ok({});
      case 'clear-faults':
        controls.clearFaults();
        return ok({});
      case 'clear-requests':
        controls.clearRequests();
        return ok({});
      default:
        return fail(404, `no admin action "${action}"`);
    }
  } catch (err) {
    if (err instanceof z.ZodError) {
      return fail(400, z.prettifyError(err));
    }
    if (err instanceof SyntaxError) return fail(400, err.message);
    // SimulatorError and the like: a control was misused.
    return fail(400, err instanceof Error ? err.message : String(err));
  }
}

function read(
  controls: AdminControls,
  action: string,
  request: SimRequest,
): Reply {
  switch (action) {
    case 'orders':
      return ok({ orders: controls.orders() });
    case 'requests':
      return ok({ requests: controls.requests });
    case 'price': {
      const key = request.query.key?.[0] ?? '';
      const price = controls.price(key);
      if (price === undefined) return fail(404, `unknown instrument "${key}"`);
      return ok({ price });
    }
    default:
      return fail(404, `no admin view "${action}"`);
  }
}

function ok(data: Record<string, unknown>): Reply {
  return { status: 200, body: { ok: true, ...data } };
}

function fail(status: number, error: string): Reply {
  return { status, body: { ok: false, error } };
}
