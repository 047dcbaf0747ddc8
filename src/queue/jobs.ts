import { z } from 'zod';
import {
  EXCHANGES,
  type Funds,
  type Holding,
  type Order,
  type Position,
  type Quote,
} from '../mstock/types.ts';

/**
 * Queue and job names, the data each job carries and what it returns.
 * Reads go to the `broker` queue; anything that changes the account goes
 * to the `orders` queue, whose jobs are never run twice (a stalled order
 * job fails for review instead of re-running).
 */

export const QUEUE_NAMES = {
  broker: 'broker',
  orders: 'orders',
  alerts: 'alerts',
} as const;

const instrument = z.object({
  exchange: z.enum(EXCHANGES),
  symbol: z.string().regex(/^[A-Z0-9&-]{1,40}$/),
});

const userId = z.number().int();

export const placeOrderRequestSchema = z.object({
  exchange: z.enum(EXCHANGES),
  symbol: z.string().regex(/^[A-Z0-9&-]{1,40}$/),
  side: z.enum(['BUY', 'SELL']),
  quantity: z.number().int().positive(),
  orderType: z.enum(['MARKET', 'LIMIT']),
  price: z.number().positive().optional(),
  product: z.enum(['CNC', 'MIS']),
  tag: z.string().regex(/^[A-Za-z0-9_-]{1,20}$/),
});

export const jobDataSchemas = {
  quote: z.object({ instruments: z.array(instrument).min(1).max(20) }),
  funds: z.object({}),
  holdings: z.object({}),
  positions: z.object({}),
  orders: z.object({}),
  'place-order': z.object({
    /** The confirmed intent; also the job id and the idempotency key. */
    intentId: z.string().min(1).max(40),
    requestedBy: userId,
    request: placeOrderRequestSchema,
  }),
  'cancel-order': z.object({
    orderId: z.string().regex(/^[0-9A-Za-z-]{1,32}$/),
    requestedBy: userId,
  }),
  panic: z.object({ requestedBy: userId }),
} as const;

export type PlaceOrderResult =
  | {
      outcome: 'submitted';
      orderId: string;
      order: Order | null;
      /**
       * How the order id was learned: the broker's reply, or, after an
       * unclear reply, the order book matched by our tag or (when the
       * broker does not echo tags) by symbol, side, quantity and time.
       */
      confirmedBy?: 'broker-reply' | 'order-tag' | 'order-fields';
    }
  /** Not confirmed either way; the user must look at the order book. */
  | { outcome: 'unknown'; detail: string };

export interface CancelResult {
  orderId: string;
  /** `already-closed`: filled, cancelled or rejected before our cancel. */
  outcome: 'cancelled' | 'already-closed';
  /** The order as the book shows it afterwards, when it could be read. */
  order: Order | null;
}

export interface PanicReport {
  /** Open orders found when the panic started. */
  openBefore: number;
  cancelled: Order[];
  /** Filled, cancelled or rejected before our cancel reached them. */
  alreadyClosed: Order[];
  failed: { order: Order; reason: string }[];
  /**
   * Still open when the book was read again at the end, with any order
   * whose status word is unknown (it may be working).
   */
  stillOpen: Order[];
  /**
   * False when the final order-book read failed, or some of its rows
   * could not be read: "nothing left open" is then not proven.
   */
  verified: boolean;
  /**
   * Rows of the order book (first or final read) that could not be read;
   * absent when every row was read. Such an order was neither cancelled
   * nor checked.
   */
  unreadableRows?: number;
  /**
   * True when the order book could not be read at the start, so every
   * order was cancelled with one cancel-all request instead. `openBefore`
   * is then 0 and `cancelled`, `alreadyClosed`, `failed` are empty: what
   * was open before is unknown; only `stillOpen` (from the re-read) and
   * `verified` say how it ended. Absent otherwise.
   */
  usedCancelAll?: boolean;
}

export interface BrokerJobs {
  quote: { data: z.infer<(typeof jobDataSchemas)['quote']>; result: Quote[] };
  funds: { data: Record<string, never>; result: Funds };
  holdings: { data: Record<string, never>; result: Holding[] };
  positions: { data: Record<string, never>; result: Position[] };
  orders: { data: Record<string, never>; result: Order[] };
  'place-order': {
    data: z.infer<(typeof jobDataSchemas)['place-order']>;
    result: PlaceOrderResult;
  };
  'cancel-order': {
    data: z.infer<(typeof jobDataSchemas)['cancel-order']>;
    result: CancelResult;
  };
  panic: {
    data: z.infer<(typeof jobDataSchemas)['panic']>;
    result: PanicReport;
  };
}

export type BrokerJobName = keyof BrokerJobs;
export type JobData<N extends BrokerJobName> = BrokerJobs[N]['data'];
export type JobResult<N extends BrokerJobName> = BrokerJobs[N]['result'];

export const ORDER_JOB_NAMES = new Set<BrokerJobName>([
  'place-order',
  'cancel-order',
  'panic',
]);

export function queueFor(name: BrokerJobName): 'broker' | 'orders' {
  return ORDER_JOB_NAMES.has(name) ? 'orders' : 'broker';
}

/** Something a trader should hear about without asking. */
export type AlertEvent =
  | {
      kind: 'order';
      change: 'filled' | 'partial' | 'rejected' | 'cancelled';
      order: Order;
      /** Filled quantity at the previous look, for "+N" in partial fills. */
      previousFilled: number;
    }
  | {
      kind: 'broker';
      change: 'offline' | 'online' | 'login-failed';
      detail: string;
    }
  | { kind: 'halt'; change: 'halted' | 'resumed'; by: number };

export interface AlertJobData {
  event: AlertEvent;
  mode: 'paper' | 'live';
  /** Epoch ms when the event was seen. */
  at: number;
}

/**
 * What the bot gets back from a broker call. `pending` means the deadline
 * passed while the job still runs; `settled` resolves when it ends.
 */
export type CallOutcome<R> =
  | { status: 'done'; value: R }
  | { status: 'failed'; message: string }
  | { status: 'pending'; jobId: string; settled: Promise<CallOutcome<R>> };

export interface QueueDepth {
  waiting: number;
  active: number;
  delayed: number;
}

/** The bot's only way to the broker. */
export interface BrokerGateway {
  call<N extends BrokerJobName>(
    name: N,
    data: JobData<N>,
    options?: {
      /** Reusing a job id never runs the job twice. */
      jobId?: string;
      /** How long to wait before answering `pending`; default 8000. */
      deadlineMs?: number;
    },
  ): Promise<CallOutcome<JobResult<N>>>;
  depth(): Promise<QueueDepth>;
  close(): Promise<void>;
}

/** Per-chat outcome of delivering one alert. */
export interface DeliveryReport {
  delivered: number[];
  /** Worth another try later (flood control, network, 5xx). */
  retry: number[];
  /** Never worth retrying (bot blocked, chat gone). */
  dropped: number[];
}

/**
 * Renders and sends one alert to every recipient not in `skipChats`
 * (chats that already got it on an earlier attempt of the same job).
 */
export type DeliverAlert = (
  alert: AlertJobData,
  skipChats: number[],
) => Promise<DeliveryReport>;
