import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { startApp, type App, type AppRole } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger, scrubTokens } from './logger.ts';

/**
 * Entry point: `tsx src/main.ts [all|bot|worker]`. A bad environment stops
 * the start with one line naming the variable; secrets are never printed.
 */

const ROLES: AppRole[] = ['all', 'bot', 'worker'];
const TERMINAL_LOG = 'mstock-bot.log';

async function main(): Promise<void> {
  const role = (process.argv[2] ?? 'all') as AppRole;
  if (!ROLES.includes(role)) {
    console.error(`Unknown role "${role}"; use one of ${ROLES.join(', ')}.`);
    process.exitCode = 2;
    return;
  }

  // A local .env, when present, fills in what the shell did not set.
  try {
    if (existsSync('.env')) process.loadEnvFile('.env');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    console.error(`Could not read .env: ${reason.split('\n')[0]}`);
    process.exitCode = 1;
    return;
  }

  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exitCode = 1;
      return;
    }
    throw err;
  }

  // The terminal chat owns stdout; its logs go to a file instead.
  const terminal = role !== 'worker' && config.telegram.token === undefined;
  const logger = terminal
    ? createLogger(
        config.logLevel,
        pino.destination({ dest: TERMINAL_LOG, sync: false }),
      )
    : createLogger(config.logLevel);
  if (terminal) {
    process.stdout.write(
      `mStock bot, ${config.mode.toUpperCase()} mode. Logs: ${TERMINAL_LOG}\n`,
    );
  }

  // Signals are handled from the first moment: a Ctrl-C during start-up
  // waits for the start to finish, then stops everything in order.
  let app: App | undefined;
  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'stopping');
    await app?.stop();
    logger.flush();
    process.exit(process.exitCode ?? 0);
  };
  let signalled: string | undefined;
  const onSignal = (signal: string) => {
    if (signalled !== undefined) {
      // A second Ctrl-C means now.
      process.exit(130);
    }
    signalled = signal;
    if (app !== undefined) void shutdown(signal);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  try {
    app = await startApp(config, { role, logger });
  } catch (err) {
    logger.fatal({ err }, 'start failed');
    console.error(`Could not start: ${describeStartError(err)}`);
    logger.flush();
    process.exit(1);
  }
  if (signalled !== undefined) return shutdown(signalled);
  if (app.finished) {
    await app.finished;
    await shutdown('end of input');
  }
}

function describeStartError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return String(scrubTokens(message));
}

await main();
