import type { Message } from 'grammy/types';

/**
 * The command at the start of a message, as Telegram marks it with a
 * `bot_command` entity at offset 0 (text alone is never trusted: `/x` in
 * the middle of a sentence is not a command).
 */
export interface CommandText {
  /** Lower case, without the slash and the `@bot` suffix. */
  name: string;
  /** `@name` after the command, lower case; undefined without one. */
  target: string | undefined;
}

export function commandTextOf(
  message: Pick<Message, 'text' | 'entities'> | undefined,
): CommandText | undefined {
  const text = message?.text;
  const entity = message?.entities?.find(
    (e) => e.type === 'bot_command' && e.offset === 0,
  );
  if (text === undefined || entity === undefined) return undefined;
  const [name = '', target] = text.slice(1, entity.length).split('@');
  return { name: name.toLowerCase(), target: target?.toLowerCase() };
}

/** No suffix, or this bot's username (any case). */
export function isAddressedTo(
  command: CommandText,
  botUsername: string,
): boolean {
  return (
    command.target === undefined || command.target === botUsername.toLowerCase()
  );
}

/**
 * Lower-cases the command name in place so grammY's exact-match
 * `bot.command('panic')` also takes `/PANIC` and `/Panic@OurBot`. The
 * length does not change, so the entity still fits the text.
 */
export function lowerCaseCommand(message: Message): void {
  const text = message.text;
  const entity = message.entities?.find(
    (e) => e.type === 'bot_command' && e.offset === 0,
  );
  if (text === undefined || entity === undefined) return;
  const command = text.slice(0, entity.length);
  const at = command.indexOf('@');
  const name = at < 0 ? command : command.slice(0, at);
  const rest = at < 0 ? '' : command.slice(at);
  message.text = name.toLowerCase() + rest + text.slice(entity.length);
}
