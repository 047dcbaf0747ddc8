/**
 * A bound on waiting for Redis. The bot's Redis connection queues
 * commands while it reconnects (BullMQ wants it that way), so a command
 * sent during an outage would wait for as long as the outage lasts; a
 * chat should hear "unavailable" within seconds instead.
 */

export class DeadlineError extends Error {
  override name = 'DeadlineError';
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(
      `${what} took longer than ${ms} ms; Redis may be down. Check REDIS_URL and that redis-server is running.`,
    );
  }
}

export async function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(what, ms)), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
