import { run, type RunnerHandle } from '@grammyjs/runner';
import {
  GrammyError,
  type Bot,
  type BotConfig,
  type Transformer,
} from 'grammy';
import { Redis } from 'ioredis';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { startAlertConsumer } from './alerts/consumer.ts';
import { createAlertQueue, enqueueAlert } from './alerts/enqueue-alert.ts';
import { createNotifier } from './alerts/notifier.ts';
import {
  alertApiOf,
  createBot,
  setCommandMenus,
  whenFollowUpsIdle,
} from './bot/create-bot.ts';
import type { BotContext } from './bot/context.ts';
import { startTerminalChat, TERMINAL_BOT_INFO } from './bot/terminal.ts';
import { createMstockClient } from './mstock/client.ts';
import type { BrokerClient } from './mstock/types.ts';
import { ControlState } from './queue/control-state.ts';
import { createBrokerGateway } from './queue/gateway.ts';
import { logConnectionErrors } from './queue/redis.ts';
import { startBrokerWorkers, type BrokerWorkers } from './queue/worker.ts';
import {
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from './simulator/simulator.ts';
import { redisSimulatorStore } from './simulator/state-store.ts';

/**
 * Composition roots. `all` runs the bot and the workers in one process
 * (one machine); `bot` and `worker` run them apart (the Procfile).
 */

export type AppRole = 'all' | 'bot' | 'worker';

export interface AppOptions {
  role: AppRole;
  logger: Logger;
  /** Paper mode: options for the in-process simulator (tests pin them). */
  simulator?: SimulatorOptions;
  /** Wait before polling again after a 409 Conflict; default 30 s. */
  pollRetryMs?: number;
  /** Terminal chat streams; default stdin/stdout. */
  terminal?: {
    input?: NodeJS.ReadableStream;
    output?: NodeJS.WritableStream;
  };
}

export interface App {
  /** The paper-mode simulator when this process runs the workers. */
  simulator: Simulator | undefined;
  /** Resolves when the terminal chat's input ends (terminal mode only). */
  finished: Promise<void> | undefined;
  stop(): Promise<void>;
}

const INIT_TIMEOUT_MS = 30_000;

/** getMe with a deadline: an unreachable Bot API must not hang the start. */
async function initWithin(
  bot: Bot<BotContext>,
  ms: number,
  apiRoot: string,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `the Telegram Bot API at ${apiRoot} did not answer within ${ms / 1000} s`,
          ),
        ),
      ms,
    );
  });
  try {
    await Promise.race([bot.init(), timeout]);
  } catch (err) {
    if (err instanceof GrammyError && err.error_code === 401) {
      throw new Error('Telegram rejected TELEGRAM_BOT_TOKEN (401).');
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** One warning per failed getUpdates; the runner retries by itself. */
function logPollingFailures(logger: Logger): Transformer {
  let lastLogged = 0;
  return async (prev, method, payload, signal) => {
    try {
      return await prev(method, payload, signal);
    } catch (err) {
      if (method === 'getUpdates' && Date.now() - lastLogged > 30_000) {
        lastLogged = Date.now();
        logger.warn({ err }, 'telegram polling failed; retrying');
      }
      throw err;
    }
  };
}

/** Where a Redis URL points, without any password it carries. */
export function redisWhere(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}

/**
 * The process's own Redis connection (control state, session, rate
 * limiter). The first connect is bounded so that a missing Redis stops
 * the start with a clear line instead of retrying forever.
 */
async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    lazyConnect: true,
    connectTimeout: 5_000,
  });
  redis.on('error', (err) =>
    logger.debug({ err: err.message }, 'redis connection error'),
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), 5_000);
      }),
    ]);
    return redis;
  } catch {
    redis.disconnect();
    throw new Error(
      `Redis is not reachable at ${redisWhere(url)}. Start redis-server or set REDIS_URL.`,
    );
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Paper mode keeps its simulator inside the worker, so two paper workers
 * on one prefix would trade on two different accounts. A lease in Redis
 * lets one of them run and stops any other with a clear message.
 */
async function takePaperLease(
  redis: Redis,
  prefix: string,
  logger: Logger,
): Promise<() => Promise<void>> {
  const key = `${prefix}:paper:lease`;
  const holder = `${process.pid}:${Math.random().toString(36).slice(2)}`;
  const LEASE_MS = 15_000;
  const taken = await redis.set(key, holder, 'PX', LEASE_MS, 'NX');
  if (taken !== 'OK') {
    throw new Error(
      `another paper-mode worker already runs the simulator for QUEUE_PREFIX=${prefix}; run one worker in paper mode, or give this one another QUEUE_PREFIX (a worker that just crashed frees it within 15 s).`,
    );
  }
  const renew = setInterval(() => {
    redis
      .eval(
        `if redis.call('GET', KEYS[1]) == ARGV[1] then
           return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
         return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX')`,
        1,
        key,
        holder,
        String(LEASE_MS),
      )
      .catch((err: unknown) =>
        logger.warn({ err }, 'paper lease renewal failed'),
      );
  }, LEASE_MS / 3);
  renew.unref();
  return async () => {
    clearInterval(renew);
    await redis.eval(
      `if redis.call('GET', KEYS[1]) == ARGV[1] then
         return redis.call('DEL', KEYS[1]) end
       return 0`,
      1,
      key,
      holder,
    );
  };
}

interface Polling {
  stop(): Promise<void>;
}

/** How long a poller that met a 409 Conflict waits before trying again. */
const CONFLICT_RETRY_MS = 30_000;

/**
 * Long polling with grammY's runner. A 409 Conflict means another process
 * polls with the same token (often the old one, during a restart): say so
 * and try again later rather than go deaf for good. A 401 means the token
 * was revoked: nothing will work, so the process is asked to stop.
 */
function startPolling(
  bot: Bot<BotContext>,
  logger: Logger,
  retryMs: number,
): Polling {
  let runner: RunnerHandle | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const start = () => {
    // The runner would print fetch errors, bot token and all, to stderr;
    // they reach the scrubbing logger through logPollingFailures instead.
    runner = run(bot, { runner: { silent: true } });
    void runner.task()?.catch((err: unknown) => {
      if (stopped) return;
      if (err instanceof GrammyError && err.error_code === 409) {
        logger.error(
          { retry_in_s: retryMs / 1000 },
          'another process is polling Telegram with this bot token; stop it. Polling again shortly.',
        );
        retry = setTimeout(start, retryMs);
      } else if (err instanceof GrammyError && err.error_code === 401) {
        logger.fatal('Telegram rejected TELEGRAM_BOT_TOKEN; stopping.');
        process.kill(process.pid, 'SIGTERM');
      } else {
        logger.error({ err }, 'polling stopped; polling again shortly');
        retry = setTimeout(start, retryMs);
      }
    });
  };
  start();

  return {
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      if (runner?.isRunning()) await runner.stop();
    },
  };
}

/** The user the terminal chat speaks as when no users are configured. */
export const TERMINAL_USER_ID = 1;

export async function startApp(
  config: Config,
  options: AppOptions,
): Promise<App> {
  const { logger, role } = options;
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of stops.reverse()) {
      try {
        await fn();
      } catch (err) {
        logger.warn({ err }, 'shutdown step failed');
      }
    }
  };

  try {
    const redis = await connectRedis(config.redisUrl, logger);
    stops.push(async () => {
      if (redis.status === 'ready') await redis.quit();
      else redis.disconnect();
    });
    const control = new ControlState(redis, config.queuePrefix);

    let simulator: Simulator | undefined;
    if (role !== 'bot') {
      const broker = await startBroker(config, options, redis, control);
      simulator = broker.simulator;
      stops.push(broker.stop);
    }

    let finished: Promise<void> | undefined;
    if (role !== 'worker') {
      const chat = await startChat(config, options, redis, control);
      finished = chat.finished;
      stops.push(chat.stop);
    }

    logger.info(
      {
        role,
        mode: config.mode,
        telegram: config.telegram.token !== undefined,
      },
      'started',
    );
    return { simulator, finished, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function startBroker(
  config: Config,
  options: AppOptions,
  redis: Redis,
  control: ControlState,
) {
  const logger = options.logger.child({ part: 'worker' });
  let simulator: Simulator | undefined;
  let baseUrl = config.mstock.baseUrl;
  let credentials = config.mstock.credentials;
  let releaseLease: (() => Promise<void>) | undefined;
  if (config.mode === 'paper') {
    releaseLease = await takePaperLease(redis, config.queuePrefix, logger);
    // Each start has new simulator credentials, so a session (token and
    // last TOTP step) kept from the previous run would only be refused.
    await redis.del(`${config.queuePrefix}:session`);
    simulator = await startSimulator({
      // The paper account (cash, holdings, the day's orders) outlives a
      // restart; the credentials are new at every start.
      store: redisSimulatorStore(redis, `${config.queuePrefix}:paper:state`),
      ...options.simulator,
      logger: logger.child({ part: 'simulator' }),
    });
    baseUrl = simulator.baseUrl;
    credentials = simulator.credentials;
    logger.info({ url: simulator.baseUrl }, 'paper simulator listening');
  }
  if (credentials === undefined) {
    // loadConfig guarantees credentials in live mode; this is a bug guard.
    throw new Error('mStock credentials are missing for live mode');
  }

  // The workers publish broker status changes (Redis, alerts); the client
  // is built first, so it forwards to them once they exist.
  const started: { workers?: BrokerWorkers } = {};
  const client: BrokerClient = createMstockClient({
    baseUrl,
    credentials,
    redis,
    prefix: config.queuePrefix,
    logger: logger.child({ part: 'mstock' }),
    onStatusChange: (status) => started.workers?.onStatusTarget(status),
  });
  const workers = await startBrokerWorkers({
    redisUrl: config.redisUrl,
    prefix: config.queuePrefix,
    client,
    control,
    logger,
    mode: config.mode,
    orderPollMs: config.orderPollMs,
  });
  started.workers = workers;

  return {
    simulator,
    stop: async () => {
      await workers.close();
      await client.close();
      await simulator?.close();
      await releaseLease?.();
    },
  };
}

async function startChat(
  config: Config,
  options: AppOptions,
  redis: Redis,
  control: ControlState,
) {
  const logger = options.logger.child({ part: 'bot' });
  const terminal = config.telegram.token === undefined;
  const chatConfig: Config =
    terminal && config.telegram.users.length === 0
      ? {
          ...config,
          telegram: {
            ...config.telegram,
            users: [{ id: TERMINAL_USER_ID, role: 'admin' }],
          },
        }
      : config;

  const gateway = await createBrokerGateway({
    redisUrl: config.redisUrl,
    prefix: config.queuePrefix,
    logger,
  });
  // Halt and resume are announced to every alert recipient, not only to
  // the chat that confirmed them.
  const alertQueue = createAlertQueue(redis, config.queuePrefix);
  logConnectionErrors(alertQueue, { logger, name: 'bot-alerts' });
  const botConfig: BotConfig<BotContext> = terminal
    ? { botInfo: TERMINAL_BOT_INFO }
    : { client: { apiRoot: config.telegram.apiRoot } };
  const bot = createBot({
    config: chatConfig,
    gateway,
    control,
    redis,
    logger,
    botConfig,
    announce: async (alert, id) => {
      await enqueueAlert(alertQueue, alert, id);
    },
  });

  let finished: Promise<void> | undefined;
  let polling: Polling | undefined;
  let closeTerminal: (() => void) | undefined;
  if (terminal) {
    const admin =
      chatConfig.telegram.users.find((u) => u.role === 'admin') ??
      chatConfig.telegram.users[0];
    const chat = startTerminalChat(bot, {
      userId: admin?.id ?? TERMINAL_USER_ID,
      logger,
      ...options.terminal,
    });
    finished = chat.finished;
    closeTerminal = () => chat.close();
  } else {
    await initWithin(bot, INIT_TIMEOUT_MS, config.telegram.apiRoot);
    await setCommandMenus(bot, chatConfig);
    bot.api.config.use(logPollingFailures(logger));
    polling = startPolling(
      bot,
      logger,
      options.pollRetryMs ?? CONFLICT_RETRY_MS,
    );
  }

  // Alerts need the final api (the terminal installs its printer on it).
  const consumer = await startAlertConsumer({
    redisUrl: config.redisUrl,
    prefix: config.queuePrefix,
    logger,
    deliver: createNotifier({
      api: alertApiOf(bot),
      config: chatConfig,
      logger,
    }),
  });

  return {
    finished,
    stop: async () => {
      closeTerminal?.();
      await polling?.stop();
      // Closing the gateway ends the waits that follow-ups hang on, so it
      // goes first; then the follow-ups get a bounded moment to send.
      await gateway.close();
      await Promise.race([
        whenFollowUpsIdle(bot),
        new Promise((resolve) => setTimeout(resolve, 5_000).unref()),
      ]);
      await consumer.close();
      await alertQueue.close();
    },
  };
}
