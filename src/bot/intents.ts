import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { placeOrderRequestSchema } from '../queue/jobs.ts';

/**
 * Confirmation intents: what a ticket will do on Confirm, kept in Redis
 * for a minute. A press claims the intent atomically (read and delete in
 * one script), so a double press, or two presses racing from two bot
 * processes, act once. The claim leaves a marker for a day so a late
 * second press hears "already confirmed", not "expired, send it again".
 */

export const INTENT_TTL_SECONDS = 60;
const CLOSED_TTL_SECONDS = 24 * 60 * 60;

const actionSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('place-order'),
    request: placeOrderRequestSchema,
  }),
  z.object({ kind: z.literal('cancel-order'), orderId: z.string() }),
  z.object({ kind: z.literal('panic') }),
  z.object({ kind: z.literal('resume') }),
]);

const intentSchema = z.object({
  id: z.string(),
  userId: z.number().int(),
  chatId: z.number().int(),
  threadId: z.number().int().nullable(),
  action: actionSchema,
  /** The ticket as sent, to show what became of it after a press. */
  ticketHtml: z.string(),
  createdAt: z.number(),
});

export type Intent = z.infer<typeof intentSchema>;
export type IntentAction = Intent['action'];
export type IntentOutcome = 'confirmed' | 'dismissed';

/** Button data: `c:<id>` confirms, `x:<id>` dismisses (≤ 64 bytes). */
export function buttonData(kind: 'c' | 'x', id: string): string {
  return `${kind}:${id}`;
}

/** Also accepts an `ord:` prefix, as older tickets carried. */
export function parseButtonData(
  data: string,
): { kind: 'c' | 'x'; id: string } | null {
  const match = /^(?:ord:)?([cx]):([A-Za-z0-9_-]{1,40})$/.exec(data);
  if (match === null) return null;
  return { kind: match[1] === 'c' ? 'c' : 'x', id: match[2] ?? '' };
}

/** The BullMQ job id of the intent's job: never digits only, no `:`. */
export function jobIdFor(intentId: string): string {
  return `intent-${intentId}`;
}

/**
 * The broker-side client tag: the same for every retry of one intent so a
 * lost reply can be found in the order book ([A-Za-z0-9_-], ≤ 20).
 */
export function tagFor(intentId: string): string {
  return `tg-${intentId}`.slice(0, 20);
}

const CLAIM_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if not value then return false end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
return value`;

export class IntentStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly ttlSeconds = INTENT_TTL_SECONDS,
  ) {}

  /** 72 random bits, base64url: 12 characters. */
  newId(): string {
    return randomBytes(9).toString('base64url');
  }

  private key(id: string): string {
    return `${this.prefix}:intent-ticket:${id}`;
  }

  private closedKey(id: string): string {
    return `${this.prefix}:intent-closed:${id}`;
  }

  async save(intent: Intent): Promise<void> {
    await this.redis.set(
      this.key(intent.id),
      JSON.stringify(intent),
      'EX',
      this.ttlSeconds,
    );
  }

  /** The intent while it is open; null once expired or claimed. */
  async peek(id: string): Promise<Intent | null> {
    return parseIntent(await this.redis.get(this.key(id)));
  }

  /** Takes the intent for this press; null when another press took it. */
  async claim(id: string, outcome: IntentOutcome): Promise<Intent | null> {
    const raw = (await this.redis.eval(
      CLAIM_SCRIPT,
      2,
      this.key(id),
      this.closedKey(id),
      outcome,
      String(CLOSED_TTL_SECONDS),
    )) as string | null;
    return parseIntent(raw);
  }

  /** How a claimed intent ended; null when it was never claimed. */
  async outcomeOf(id: string): Promise<IntentOutcome | null> {
    const value = await this.redis.get(this.closedKey(id));
    return value === 'confirmed' || value === 'dismissed' ? value : null;
  }
}

function parseIntent(raw: string | null): Intent | null {
  if (raw === null) return null;
  try {
    const parsed = intentSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
