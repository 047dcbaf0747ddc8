/**
 * Splits an HTML message into parts Telegram accepts one by one.
 *
 * Telegram refuses a message whose text is longer than 4096 characters
 * after entity parsing. Here the HTML source is measured instead, in UTF-16
 * units: it is never shorter than the visible text, so a part that fits by
 * this measure fits for Telegram too. Parts break at line ends where they
 * can; a tag open at the break (a `<pre>` table, say) is closed at the end
 * of one part and opened again at the start of the next, so every part is
 * valid HTML on its own. A single line too long for one part is cut
 * between characters, never inside a tag, an entity or a surrogate pair.
 */

export const TELEGRAM_TEXT_LIMIT = 4096;

interface OpenTag {
  name: string;
  /** The opening tag exactly as written, attributes included. */
  source: string;
}

/** A tag, an entity or one character (a code point: emoji stay whole). */
const ATOM = /<[^>]*>|&#?[A-Za-z0-9]+;|[\s\S]/gu;
const TAG = /^<(\/?)([A-Za-z][A-Za-z0-9-]*)/;

function atomsOf(text: string): string[] {
  return text.match(ATOM) ?? [];
}

function applyTag(stack: OpenTag[], atom: string): OpenTag[] {
  const tag = TAG.exec(atom);
  if (tag === null) return stack;
  const [, closing, rawName = ''] = tag;
  const name = rawName.toLowerCase();
  if (closing !== '/') return [...stack, { name, source: atom }];
  const index = stack.map((t) => t.name).lastIndexOf(name);
  return index < 0 ? stack : stack.slice(0, index);
}

function stackAfter(stack: OpenTag[], text: string): OpenTag[] {
  let next = stack;
  for (const atom of text.match(/<[^>]*>/g) ?? []) next = applyTag(next, atom);
  return next;
}

function openers(stack: OpenTag[]): string {
  return stack.map((t) => t.source).join('');
}

function closers(stack: OpenTag[]): string {
  return stack
    .slice()
    .reverse()
    .map((t) => `</${t.name}>`)
    .join('');
}

/** True when a part would show nothing but tags and whitespace. */
function isBlank(part: string): boolean {
  return part.replace(/<[^>]*>/g, '').trim() === '';
}

/**
 * @param maxLength the most UTF-16 units of HTML per part; leave room for
 *   anything the caller adds (part markers).
 * @returns one part when the text fits, never an empty list for non-blank
 *   input.
 */
export function splitHtml(html: string, maxLength: number): string[] {
  if (html.length <= maxLength) return [html];

  const parts: string[] = [];
  let stack: OpenTag[] = [];
  let current = '';
  let hasContent = false;

  const flush = () => {
    const part = current + closers(stack);
    if (hasContent && !isBlank(part)) parts.push(part);
    current = openers(stack);
    hasContent = false;
  };

  const fits = (text: string, after: OpenTag[]) =>
    text.length + closers(after).length <= maxLength;

  // A line too long for any part: cut it atom by atom.
  const addByAtoms = (line: string) => {
    for (const atom of atomsOf(line)) {
      const after = applyTag(stack, atom);
      if (!fits(current + atom, after) && hasContent) flush();
      // Tags alone do not make a part worth sending.
      if (!atom.startsWith('<')) hasContent = true;
      current += atom;
      stack = after;
    }
  };

  for (const line of html.split('\n')) {
    // A part never starts with blank lines.
    if (!hasContent && line.trim() === '') continue;
    const after = stackAfter(stack, line);
    const joined = hasContent ? `${current}\n${line}` : current + line;
    if (fits(joined, after)) {
      current = joined;
      hasContent = true;
      stack = after;
      continue;
    }
    if (hasContent) flush();
    const alone = current + line;
    if (fits(alone, after)) {
      current = alone;
      hasContent = true;
      stack = after;
    } else {
      addByAtoms(line);
    }
  }
  if (hasContent) flush();
  return parts;
}
