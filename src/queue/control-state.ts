import type { Redis } from 'ioredis';

/**
 * State every process shares through Redis: the trading halt and what the
 * workers last saw of the broker. The halt has no expiry: it survives
 * restarts of the bot and the workers until an admin resumes.
 */

export interface HaltInfo {
  halted: boolean;
  /** Telegram user id of whoever changed it last. */
  by: number | null;
  /** Epoch ms of the last change. */
  at: number | null;
}

export interface BrokerStatus {
  online: boolean;
  loggedIn: boolean;
  /** Epoch ms when the access token dies. */
  sessionExpiresAt: number | null;
  /** A short, chat-safe description of the last failure. */
  lastError: string | null;
  /** Epoch ms of the last status write. */
  updatedAt: number | null;
}

/**
 * The hash that holds the halt (`halted` = "1" while halted), for scripts
 * that must check it in the same atomic step as their own write.
 */
export function haltKey(prefix: string): string {
  return `${prefix}:control:halt`;
}

export class ControlState {
  private readonly haltKey: string;
  private readonly brokerKey: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly now: () => number = Date.now,
  ) {
    this.haltKey = haltKey(prefix);
    this.brokerKey = `${prefix}:control:broker`;
  }

  async haltInfo(): Promise<HaltInfo> {
    const h = await this.redis.hgetall(this.haltKey);
    return {
      halted: h.halted === '1',
      by: h.by !== undefined ? Number(h.by) : null,
      at: h.at !== undefined ? Number(h.at) : null,
    };
  }

  async isHalted(): Promise<boolean> {
    return (await this.redis.hget(this.haltKey, 'halted')) === '1';
  }

  /** @returns true when this call changed the state. */
  async halt(by: number): Promise<boolean> {
    return this.setHalt(true, by);
  }

  /** @returns true when this call changed the state. */
  async resume(by: number): Promise<boolean> {
    return this.setHalt(false, by);
  }

  private async setHalt(halted: boolean, by: number): Promise<boolean> {
    const value = halted ? '1' : '0';
    // Compare and set in one round trip so two admins racing get one
    // "changed" answer between them.
    const changed = (await this.redis.eval(
      `if redis.call('HGET', KEYS[1], 'halted') == ARGV[1] then return 0 end
       redis.call('HSET', KEYS[1], 'halted', ARGV[1], 'by', ARGV[2], 'at', ARGV[3])
       return 1`,
      1,
      this.haltKey,
      value,
      String(by),
      String(this.now()),
    )) as number;
    return changed === 1;
  }

  async setBrokerStatus(
    status: Omit<BrokerStatus, 'updatedAt'>,
  ): Promise<void> {
    await this.redis.hset(this.brokerKey, {
      online: status.online ? '1' : '0',
      loggedIn: status.loggedIn ? '1' : '0',
      sessionExpiresAt: status.sessionExpiresAt ?? '',
      lastError: status.lastError ?? '',
      updatedAt: String(this.now()),
    });
  }

  async brokerStatus(): Promise<BrokerStatus | null> {
    const h = await this.redis.hgetall(this.brokerKey);
    if (h.updatedAt === undefined) return null;
    return {
      online: h.online === '1',
      loggedIn: h.loggedIn === '1',
      sessionExpiresAt:
        h.sessionExpiresAt !== undefined && h.sessionExpiresAt !== ''
          ? Number(h.sessionExpiresAt)
          : null,
      lastError:
        h.lastError !== undefined && h.lastError !== '' ? h.lastError : null,
      updatedAt: Number(h.updatedAt),
    };
  }
}
