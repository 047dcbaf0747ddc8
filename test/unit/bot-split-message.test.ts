import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml } from '../../src/bot/format.ts';
import { composeParts } from '../../src/bot/send-html.ts';
import { splitHtml, TELEGRAM_TEXT_LIMIT } from '../../src/bot/split-message.ts';
import { checkTelegramHtml, visibleText } from '../support/telegram-capture.ts';

/** Every part valid on its own and within the limit. */
function assertParts(parts: string[], maxLength: number): void {
  for (const [i, part] of parts.entries()) {
    assert.ok(
      part.length <= maxLength,
      `part ${i + 1} has ${part.length} > ${maxLength}`,
    );
    assert.equal(checkTelegramHtml(part), null, `part ${i + 1}: ${part}`);
    assert.notEqual(visibleText(part).trim(), '', `part ${i + 1} is blank`);
  }
}

/** The visible lines, in order, across all parts. */
function visibleLines(parts: string[]): string[] {
  return parts.flatMap((p) => visibleText(p).split('\n'));
}

describe('splitHtml', () => {
  it('leaves a short message whole', () => {
    assert.deepEqual(splitHtml('<b>x</b>\ny', 100), ['<b>x</b>\ny']);
  });

  it('breaks on line ends and keeps every line, in order', () => {
    const lines = Array.from(
      { length: 120 },
      (_, i) => `<b>ROW${i}</b> ${'x'.repeat(60)} M&amp;M`,
    );
    const parts = splitHtml(lines.join('\n'), 1000);
    assert.ok(parts.length > 1);
    assertParts(parts, 1000);
    assert.deepEqual(
      visibleLines(parts),
      lines.map((l) => visibleText(l)),
    );
  });

  it('closes a <pre> table at a break and opens it again', () => {
    const rows = Array.from(
      { length: 80 },
      (_, i) => `INFY${i}`.padEnd(12) + '1,510.05'.padStart(12),
    );
    const html = `<b>Table</b>\n<pre>${rows.join('\n')}</pre>\nend`;
    const parts = splitHtml(html, 500);
    assert.ok(parts.length > 2);
    assertParts(parts, 500);
    for (const part of parts.slice(1, -1)) {
      assert.ok(part.startsWith('<pre>'), part.slice(0, 20));
      assert.ok(part.endsWith('</pre>'), part.slice(-20));
    }
    assert.deepEqual(
      visibleLines(parts).filter((l) => l.startsWith('INFY')),
      rows,
    );
  });

  it('reopens a tag with its attributes', () => {
    const body = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n');
    const parts = splitHtml(
      `<a href="https://x.test/?a=1&amp;b=2">${body}</a>`,
      120,
    );
    assertParts(parts, 120);
    for (const part of parts) {
      assert.ok(part.startsWith('<a href="https://x.test/?a=1&amp;b=2">'));
    }
  });

  it('cuts one over-long line between characters, not inside entities or emoji', () => {
    const line = `<b>${'M&amp;M 📈 '.repeat(400)}</b>`;
    const parts = splitHtml(line, 300);
    assert.ok(parts.length > 5);
    assertParts(parts, 300);
    assert.equal(parts.map((p) => visibleText(p)).join(''), visibleText(line));
    for (const part of parts) {
      assert.doesNotMatch(part, /&[a-z]*$|&[a-z]*<\/b>$/);
      assert.doesNotMatch(part, /[\uD800-\uDBFF](<|$)/, 'half an emoji');
    }
  });

  it('counts the HTML source, which is never less than what Telegram counts', () => {
    // 1500 visible characters, but 7500 of HTML source.
    const html = escapeHtml('&'.repeat(1500));
    const parts = splitHtml(html, TELEGRAM_TEXT_LIMIT);
    assert.ok(parts.length >= 2);
    assertParts(parts, TELEGRAM_TEXT_LIMIT);
  });
});

describe('composeParts', () => {
  it('marks parts (1/3) and each with PAPER in paper mode', () => {
    const html = Array.from(
      { length: 300 },
      (_, i) => `line ${i} ${'y'.repeat(30)}`,
    ).join('\n');
    const parts = composeParts(html, true);
    assert.equal(parts.length, 3);
    parts.forEach((part, i) => {
      assert.ok(
        part.startsWith(`📝 PAPER · (${i + 1}/3)\n`),
        part.slice(0, 30),
      );
      assert.ok(visibleText(part).length <= TELEGRAM_TEXT_LIMIT);
    });
  });

  it('adds nothing to a short live message', () => {
    assert.deepEqual(composeParts('hi', false), ['hi']);
    assert.deepEqual(composeParts('hi', true), ['📝 PAPER\nhi']);
  });
});
