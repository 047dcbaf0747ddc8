import type {
  Funds,
  Holding,
  Position,
  Quote,
} from '../../src/mstock/types.ts';
import type {
  BrokerGateway,
  BrokerJobName,
  CallOutcome,
  JobData,
  JobResult,
  QueueDepth,
} from '../../src/queue/jobs.ts';
import { sampleOrder } from './sample-order.ts';

/**
 * A `BrokerGateway` for bot tests: each job name answers what the test
 * scripted (a value, a failure, `pending` with a promise the test settles,
 * or a thrown error as when Redis is down), and every call is recorded.
 * An unscripted job answers `failed`, so a missing script is loud.
 */

export interface GatewayCall<N extends BrokerJobName = BrokerJobName> {
  name: N;
  data: JobData<N>;
  options: { jobId?: string; deadlineMs?: number } | undefined;
}

type Answer<N extends BrokerJobName> =
  | CallOutcome<JobResult<N>>
  | ((data: JobData<N>) => CallOutcome<JobResult<N>>)
  | Error;

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export class FakeGateway implements BrokerGateway {
  readonly calls: GatewayCall[] = [];
  private answers = new Map<BrokerJobName, Answer<BrokerJobName>>();
  queueDepth: QueueDepth | Error = { waiting: 0, active: 0, delayed: 0 };
  closed = false;

  /** Every later call of `name` gets this answer. */
  answer<N extends BrokerJobName>(name: N, answer: Answer<N>): this {
    this.answers.set(name, answer);
    return this;
  }

  done<N extends BrokerJobName>(name: N, value: JobResult<N>): this {
    return this.answer(name, { status: 'done', value });
  }

  fail<N extends BrokerJobName>(name: N, message: string): this {
    return this.answer(name, { status: 'failed', message });
  }

  /**
   * Answers `pending`; the returned deferred settles the job whenever the
   * test decides.
   */
  pending<N extends BrokerJobName>(
    name: N,
    jobId = `job-${name}`,
  ): Deferred<CallOutcome<JobResult<N>>> {
    const settled = deferred<CallOutcome<JobResult<N>>>();
    this.answer(name, { status: 'pending', jobId, settled: settled.promise });
    return settled;
  }

  callsOf<N extends BrokerJobName>(name: N): GatewayCall<N>[] {
    return this.calls.filter((c) => c.name === name) as GatewayCall<N>[];
  }

  call<N extends BrokerJobName>(
    name: N,
    data: JobData<N>,
    options?: { jobId?: string; deadlineMs?: number },
  ): Promise<CallOutcome<JobResult<N>>> {
    this.calls.push({ name, data, options });
    const answer = this.answers.get(name) as Answer<N> | undefined;
    if (answer === undefined) {
      return Promise.resolve({
        status: 'failed',
        message: `fake gateway: no answer scripted for ${name}`,
      });
    }
    if (answer instanceof Error) return Promise.reject(answer);
    return Promise.resolve(
      typeof answer === 'function' ? answer(data) : answer,
    );
  }

  depth(): Promise<QueueDepth> {
    return this.queueDepth instanceof Error
      ? Promise.reject(this.queueDepth)
      : Promise.resolve(this.queueDepth);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

// Broker data as the gateway returns it, with plausible defaults.

export function sampleQuote(overrides: Partial<Quote> = {}): Quote {
  return {
    exchange: 'NSE',
    symbol: 'INFY',
    found: true,
    lastPrice: 1510.05,
    open: 1500,
    high: 1520.5,
    low: 1495.1,
    close: 1497.75,
    ...overrides,
  };
}

export function sampleFunds(overrides: Partial<Funds> = {}): Funds {
  return {
    availableCash: 123456.5,
    usedMargin: 2500,
    openingLimit: 125956.5,
    ...overrides,
  };
}

export function sampleHolding(overrides: Partial<Holding> = {}): Holding {
  return {
    name: 'INFOSYS LIMITED',
    isin: 'INE009A01021',
    exchange: 'NSE',
    quantity: 10,
    averagePrice: 1480,
    lastPrice: 1510.05,
    closePrice: 1497.75,
    ...overrides,
  };
}

export function samplePosition(overrides: Partial<Position> = {}): Position {
  return {
    exchange: 'NSE',
    symbol: 'INFY',
    product: 'MIS',
    quantity: 5,
    averagePrice: 1500,
    lastPrice: 1510.05,
    pnl: 50.25,
    ...overrides,
  };
}

export { sampleOrder };
