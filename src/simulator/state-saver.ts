import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.ts';
import type { SimulatorStore } from './state-store.ts';

/**
 * Saves the paper state after changes, at most once per interval: a tick
 * a second or a burst of fills becomes one write, taken when the timer
 * fires, so the latest state is what gets stored. Writes go one after
 * another, never overlapping, so an older state never lands last.
 */

export interface StateSaverOptions {
  store: SimulatorStore;
  /** The state as text, read at the moment of saving. */
  encode: () => string;
  /** Least time between two saves, in ms. */
  intervalMs: number;
  logger: Logger;
}

export class StateSaver {
  private timer: NodeJS.Timeout | undefined;
  /** Changed since the last save began. */
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();
  private failing = false;
  private closed = false;

  constructor(private readonly options: StateSaverOptions) {}

  /** Notes a change; a save follows within the interval. */
  changed(): void {
    this.dirty = true;
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.save();
    }, this.options.intervalMs);
    // A pending save must not keep the process alive; close() saves last.
    this.timer.unref();
  }

  /**
   * Stops the timer and saves what is unsaved, waiting at most
   * `timeoutMs` for the store (a store that hangs must not hang a
   * shutdown).
   */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const giveUp = new AbortController();
    const saved = this.save().then(() => true);
    const timeout = sleep(timeoutMs, false, { signal: giveUp.signal }).catch(
      () => false,
    );
    const finished = await Promise.race([saved, timeout]);
    giveUp.abort();
    if (!finished) {
      this.options.logger.warn(
        { timeout_ms: timeoutMs },
        'paper state save timed out at close',
      );
    }
  }

  private save(): Promise<void> {
    if (!this.dirty) return this.writing;
    this.dirty = false;
    let text: string;
    try {
      text = this.options.encode();
    } catch (err) {
      this.options.logger.error({ err }, 'paper state not encoded');
      return this.writing;
    }
    this.writing = this.writing
      .then(() => this.options.store.save(text))
      .then(
        () => {
          if (this.failing) this.options.logger.info('paper state saved again');
          this.failing = false;
        },
        (err: unknown) => {
          // One line per outage, not one per attempt.
          if (!this.failing) {
            this.options.logger.warn({ err }, 'paper state not saved');
          }
          this.failing = true;
          this.changed();
        },
      );
    return this.writing;
  }
}
