import type { Api } from 'grammy';
import type { BotCommand } from 'grammy/types';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { commandsFor, COMMANDS } from './command-table.ts';
import { telegramErrorFields } from './telegram-errors.ts';

/**
 * Telegram's "/" menu per role: everyone sees /help only; each allowed
 * user sees, in their private chat with the bot, the commands their role
 * allows. A failure only costs the menu, so it is logged, never thrown.
 */

function toMenu(commands: typeof COMMANDS): BotCommand[] {
  return commands.map((c) => ({ command: c.name, description: c.description }));
}

export async function installCommandMenus(
  api: Api,
  config: Config,
  logger: Logger,
): Promise<void> {
  const help = COMMANDS.filter((c) => c.name === 'help');
  const menus: {
    scope: Parameters<Api['setMyCommands']>[1];
    commands: BotCommand[];
  }[] = [
    { scope: { scope: { type: 'default' } }, commands: toMenu(help) },
    ...config.telegram.users.map((user) => ({
      scope: { scope: { type: 'chat' as const, chat_id: user.id } },
      commands: toMenu(commandsFor(user.role)),
    })),
  ];
  for (const menu of menus) {
    try {
      await api.setMyCommands(menu.commands, menu.scope);
    } catch (err) {
      logger.warn(telegramErrorFields(err), 'command menu not set');
    }
  }
}
