import {
  Api,
  Bot,
  type ApiClientOptions,
  type BotConfig,
  type BotError,
  type Transformer,
} from 'grammy';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { ControlState } from '../queue/control-state.ts';
import type { AlertJobData, BrokerGateway } from '../queue/jobs.ts';
import { FollowUps } from './call-broker.ts';
import { chatTargetOf } from './chat-reply.ts';
import { installCommandMenus } from './command-menus.ts';
import { commandTextOf, isAddressedTo } from './command-text.ts';
import { confirmButtons } from './confirm-buttons.ts';
import type { BotContext } from './context.ts';
import type { HandlerDeps } from './handler-deps.ts';
import { IntentStore } from './intents.ts';
import { readCommands } from './read-commands.ts';
import { unknownCommandHint } from './render-help.ts';
import { sendHtml } from './send-html.ts';
import {
  ALERT_API_SAFETY,
  createThrottler,
  installApiSafety,
  type ApiSafetyOptions,
} from './telegram-api.ts';
import { errorFields, telegramErrorFields } from './telegram-errors.ts';
import { tradeCommands } from './trade-commands.ts';
import {
  allowOnlyUsers,
  dropRedelivered,
  identify,
  keepCommandSources,
  normaliseCommand,
} from './update-gate.ts';

/**
 * The Telegram bot: every update is deduplicated, authorised by sender,
 * routed to one command, and answered in the chat it came from. Broker
 * work goes through the gateway only. The bot is not started here: the
 * composition root runs it (grammY runner, or the terminal chat).
 */

export interface BotDeps {
  config: Config;
  gateway: BrokerGateway;
  control: ControlState;
  /** For intents, update dedupe and stranger refusals. */
  redis: Redis;
  logger: Logger;
  /** Epoch ms; default Date.now. */
  now?: () => number;
  /** grammY options: `botInfo` (tests, terminal) and `client` options. */
  botConfig?: BotConfig<BotContext>;
  /** Telegram rate-limit and retry handling; tests loosen it. */
  apiSafety?: ApiSafetyOptions;
  /**
   * Dedupe updates by `update_id` (invariant 1). Default: on with a bot
   * token, off for the terminal chat, whose ids restart at 1 every run.
   */
  dedupeUpdates?: boolean;
  /** Deadline of the LTP / open-order reads on a ticket; default 2500 ms. */
  ticketReadDeadlineMs?: number;
  /**
   * How long an update waits for Redis (its dedupe write) before the user
   * is told the queue is unavailable; default 3000 ms.
   */
  redisDeadlineMs?: number;
  /**
   * Publishes an alert (halt and resume from the chat) to every alert
   * recipient, e.g. by adding it to the alerts queue. Optional: without
   * it only the chat that confirmed hears about the change.
   * @param id names the event; publishing the same id twice must alert once.
   */
  announce?: (alert: AlertJobData, id: string) => Promise<void>;
}

/**
 * grammY refuses an empty token. The terminal chat has none and answers
 * every call itself, so this placeholder never reaches Telegram.
 */
const NO_TOKEN = '0:terminal-chat-has-no-token';

const loggers = new WeakMap<object, Logger>();
const alertApis = new WeakMap<object, Api>();
const followUpsOf = new WeakMap<object, FollowUps>();

export function createBot(deps: BotDeps): Bot<BotContext> {
  const { config, logger } = deps;
  const paper = config.mode === 'paper';
  const botConfig = deps.botConfig ?? {};
  const client = { apiRoot: config.telegram.apiRoot, ...botConfig.client };
  const bot = new Bot<BotContext>(config.telegram.token ?? NO_TOKEN, {
    ...botConfig,
    client,
  });
  const throttler = createThrottler(deps.apiSafety?.throttle);
  installApiSafety(bot.api, { ...deps.apiSafety, throttler });
  alertApis.set(bot, createAlertApi(bot, config, client, throttler));

  const followUps = new FollowUps();
  loggers.set(bot, logger);
  followUpsOf.set(bot, followUps);
  const handlerDeps: HandlerDeps = {
    config,
    gateway: deps.gateway,
    control: deps.control,
    intents: new IntentStore(deps.redis, config.queuePrefix),
    followUps,
    now: deps.now ?? Date.now,
    paper,
    ticketReadDeadlineMs: deps.ticketReadDeadlineMs ?? 2500,
    announce: deps.announce,
  };
  const gateDeps = {
    config,
    redis: deps.redis,
    logger,
    dedupe: deps.dedupeUpdates ?? config.telegram.token !== undefined,
    paper,
    redisDeadlineMs: deps.redisDeadlineMs ?? 3000,
  };

  // Only what escapes the boundary below lands here (nothing should);
  // it is logged so the runner never sees an update fail.
  bot.catch((err) => {
    logger.error(
      { update_id: err.ctx.update.update_id, ...errorFields(err.error) },
      'update failed',
    );
  });

  const safe = bot.errorBoundary((err) => reportFailure(err, paper, logger));
  safe.use(identify(gateDeps));
  safe.use(dropRedelivered(gateDeps));
  safe.use(keepCommandSources(gateDeps));
  safe.use(allowOnlyUsers(gateDeps));
  safe.use(normaliseCommand);
  safe.use(readCommands(handlerDeps));
  safe.use(tradeCommands(handlerDeps));
  safe.use(confirmButtons(handlerDeps));

  safe.on('message:text', async (ctx) => {
    const target = chatTargetOf(ctx);
    if (target === undefined) return;
    const command = commandTextOf(ctx.message);
    if (command !== undefined) {
      // `/panic@some_other_bot` is for that bot; stay silent. In a group
      // a bare `/roll` may be for another bot too: only a command named
      // to us gets the hint there.
      if (!isAddressedTo(command, ctx.me.username)) return;
      if (ctx.chat.type !== 'private' && command.target === undefined) return;
      await sendHtml(ctx.api, target, unknownCommandHint(), { paper });
      return;
    }
    // Plain chat in a group is between people.
    if (ctx.chat.type === 'private') {
      await sendHtml(ctx.api, target, 'Send /help to see what I can do.', {
        paper,
      });
    }
  });

  return bot;
}

/**
 * Logs a failed update and, for an allowed user, says so in the chat. The
 * wording does not promise that nothing happened: the failure may have
 * come after a job was queued.
 */
async function reportFailure(
  err: BotError<BotContext>,
  paper: boolean,
  logger: Logger,
): Promise<void> {
  const ctx = err.ctx;
  const log = ctx.log ?? logger.child({ update_id: ctx.update.update_id });
  log.error(errorFields(err.error), 'update failed');
  const target = chatTargetOf(ctx);
  if (ctx.auth === undefined || target === undefined) return;
  try {
    if (ctx.callbackQuery !== undefined) {
      await ctx.answerCallbackQuery().catch(() => undefined);
    }
    await sendHtml(
      ctx.api,
      target,
      '⚠️ Something went wrong with that request. If it was an order or a cancel, check /orders before sending it again.',
      { paper },
    );
  } catch (sendErr) {
    log.warn(telegramErrorFields(sendErr), 'failure notice not sent');
  }
}

/**
 * Sets the per-role "/" menus. Failures are logged only.
 * @param logger defaults to the logger the bot was created with.
 */
export async function setCommandMenus(
  bot: Bot<BotContext>,
  config: Config,
  logger?: Logger,
): Promise<void> {
  const log = logger ?? loggers.get(bot);
  if (log === undefined) {
    throw new Error('setCommandMenus needs a bot from createBot or a logger');
  }
  await installCommandMenus(bot.api, config, log);
}

/**
 * The `Api` alerts are sent with: the bot's token and throttler, but
 * retries kept short ({@link ALERT_API_SAFETY}), because the alert job
 * retries what fails. Replies to commands keep the bot's own `api`, whose
 * retries are the only ones they get. Without a token (terminal chat)
 * this is `bot.api` itself, which the terminal answers without a request.
 */
export function alertApiOf(bot: Bot<BotContext>): Api {
  const api = alertApis.get(bot);
  if (api === undefined) {
    throw new Error('alertApiOf needs a bot from createBot');
  }
  return api;
}

function createAlertApi(
  bot: Bot<BotContext>,
  config: Config,
  client: ApiClientOptions,
  throttler: Transformer | undefined,
): Api {
  if (config.telegram.token === undefined) return bot.api;
  const api = new Api(config.telegram.token, client);
  // No throttler means the bot runs without one (tests): so do alerts.
  installApiSafety(api, {
    ...ALERT_API_SAFETY,
    throttle: throttler === undefined ? false : {},
    throttler,
  });
  return api;
}

/**
 * Resolves when every late answer (a job that outlasted its deadline) the
 * bot has started sending is sent or has failed; for shutdown and tests.
 */
export function whenFollowUpsIdle(bot: Bot<BotContext>): Promise<void> {
  return followUpsOf.get(bot)?.idle() ?? Promise.resolve();
}
