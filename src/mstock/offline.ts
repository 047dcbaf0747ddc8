import type { Logger } from '../logger.ts';
import { BrokerError } from './errors.ts';
import { markNeverSent } from './http.ts';

/**
 * Notices when mStock stops answering and stops sending it work. After
 * `threshold` consecutive 'unavailable' failures (network errors,
 * timeouts, 5xx, HTML pages) the broker counts as offline: calls fail at
 * once without touching the network, and a probe every `probeIntervalMs`
 * tries a cheap authenticated read. Any answer from the broker, even an
 * error envelope, proves it reachable and brings it back online.
 */

export const OFFLINE_MESSAGE =
  'mStock is not reachable; retrying in the background.';

export interface OfflineDetectorOptions {
  /** Consecutive failures before going offline; default 3. */
  threshold?: number;
  /** Default 5000. */
  probeIntervalMs?: number;
  /** Sends one request past the gate; its outcome is recorded by it. */
  probe: () => Promise<void>;
  /** Called once per transition. */
  onChange: (online: boolean) => void;
  logger: Logger;
}

export class OfflineDetector {
  private isOnline = true;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly threshold: number;
  private readonly probeIntervalMs: number;

  constructor(private readonly options: OfflineDetectorOptions) {
    this.threshold = Math.max(1, options.threshold ?? 3);
    this.probeIntervalMs = options.probeIntervalMs ?? 5_000;
  }

  get online(): boolean {
    return this.isOnline;
  }

  /** Throws the 'offline' error while offline. */
  check(endpoint: string): void {
    if (this.isOnline) return;
    throw markNeverSent(
      new BrokerError('offline', OFFLINE_MESSAGE, { endpoint }),
    );
  }

  /** The broker answered (success or an error envelope). */
  recordAnswer(): void {
    this.failures = 0;
    if (this.isOnline) return;
    this.isOnline = true;
    this.stopProbing();
    this.options.logger.info('mstock back online');
    this.options.onChange(true);
  }

  /** Counts 'unavailable' only; other kinds prove the broker answered. */
  recordFailure(error: BrokerError): void {
    if (error.kind !== 'unavailable') {
      if (error.kind !== 'offline') this.recordAnswer();
      return;
    }
    this.failures += 1;
    if (!this.isOnline || this.failures < this.threshold || this.closed) {
      return;
    }
    this.isOnline = false;
    this.options.logger.warn(
      { failures: this.failures, reason: error.message },
      'mstock offline',
    );
    this.options.onChange(false);
    this.scheduleProbe();
  }

  close(): void {
    this.closed = true;
    this.stopProbing();
  }

  private scheduleProbe(): void {
    if (this.closed || this.isOnline || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runProbe();
    }, this.probeIntervalMs);
    // The probe alone should not keep a process alive.
    this.timer.unref();
  }

  private async runProbe(): Promise<void> {
    try {
      await this.options.probe();
    } catch (err) {
      this.options.logger.debug(
        { reason: err instanceof Error ? err.message : String(err) },
        'mstock probe failed',
      );
    }
    this.scheduleProbe();
  }

  private stopProbing(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
