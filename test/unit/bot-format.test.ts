import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  displayProduct,
  escapeHtml,
  formatDuration,
  formatIstDateTime,
  formatIstTime,
  formatMoney,
  formatNumber,
  formatPercent,
  formatQty,
  groupIndian,
  htmlToPlain,
  tidyBrokerText,
} from '../../src/bot/format.ts';

describe('escapeHtml', () => {
  it('escapes the characters HTML parse mode reserves', () => {
    assert.equal(escapeHtml('M&M <b> "x"'), 'M&amp;M &lt;b&gt; &quot;x&quot;');
  });

  it('leaves MarkdownV2 specials alone: HTML does not reserve them', () => {
    const reason = 'RMS: margin (required=1,234.50) exceeds! limit_1. [x]';
    assert.equal(escapeHtml(reason), reason);
  });

  it('round-trips through htmlToPlain', () => {
    const text = 'A&B <c> "d" & &amp;';
    assert.equal(htmlToPlain(`<b>${escapeHtml(text)}</b>`), text);
  });
});

describe('Indian number formatting', () => {
  it('groups the last three digits, then pairs', () => {
    assert.equal(groupIndian('1'), '1');
    assert.equal(groupIndian('999'), '999');
    assert.equal(groupIndian('1000'), '1,000');
    assert.equal(groupIndian('123456'), '1,23,456');
    assert.equal(groupIndian('1234567890'), '1,23,45,67,890');
  });

  it('prints money with ₹, two decimals and a real minus sign', () => {
    assert.equal(formatMoney(123456.5), '₹1,23,456.50');
    assert.equal(formatMoney(-12.5), '−₹12.50');
    assert.equal(formatMoney(4, { signed: true }), '+₹4.00');
    assert.equal(formatMoney(0, { signed: true }), '₹0.00');
    // Rounds to zero: no "−₹0.00".
    assert.equal(formatMoney(-0.001), '₹0.00');
  });

  it('never prints NaN or Infinity', () => {
    for (const bad of [null, undefined, NaN, Infinity, -Infinity]) {
      assert.equal(formatMoney(bad), 'n/a');
      assert.equal(formatNumber(bad), 'n/a');
      assert.equal(formatQty(bad), 'n/a');
      assert.equal(formatPercent(bad), 'n/a');
    }
  });

  it('formats plain numbers, quantities and percentages', () => {
    assert.equal(formatNumber(2945.5), '2,945.50');
    assert.equal(formatNumber(-12.5, { signed: true }), '−12.50');
    assert.equal(formatNumber(12.5, { signed: true }), '+12.50');
    assert.equal(formatQty(100000), '1,00,000');
    assert.equal(formatPercent(-0.8), '−0.80%');
    assert.equal(formatPercent(0.8234), '+0.82%');
  });
});

describe('time formatting', () => {
  // 2026-11-03 08:35:09 UTC is 14:05:09 in India (UTC+5:30).
  const at = Date.UTC(2026, 10, 3, 8, 35, 9);

  it('prints IST wall-clock time', () => {
    assert.equal(formatIstTime(at), '14:05:09 IST');
    assert.match(formatIstDateTime(at), /^3 Nov,? 14:05 IST$/);
  });

  it('prints spans in s, min and h', () => {
    assert.equal(formatDuration(-5), '0 s');
    assert.equal(formatDuration(45_000), '45 s');
    assert.equal(formatDuration(5 * 60_000), '5 min');
    assert.equal(formatDuration(2 * 3_600_000), '2 h');
    assert.equal(formatDuration(2 * 3_600_000 + 5 * 60_000), '2 h 5 min');
  });
});

describe('tidyBrokerText', () => {
  it('makes a doubled full stop single, wherever a sentence ends', () => {
    assert.equal(
      tidyBrokerText(' mStock refused it: not connected to exchange.. '),
      'mStock refused it: not connected to exchange.',
    );
    assert.equal(
      tidyBrokerText('failed (HTTP 503): busy.. Try again in a minute.'),
      'failed (HTTP 503): busy. Try again in a minute.',
    );
  });

  it('leaves an ellipsis, decimals and single stops alone', () => {
    for (const text of ['Working...', 'price 1.50 only.', 'v1..2 ok']) {
      assert.equal(tidyBrokerText(text), text);
    }
  });
});

describe('displayProduct', () => {
  it('says MIS and CNC the way users type them', () => {
    assert.equal(displayProduct('INTRADAY'), 'MIS');
    assert.equal(displayProduct('delivery'), 'CNC');
    assert.equal(displayProduct('MARGIN'), 'MARGIN');
    assert.equal(displayProduct('CNC'), 'CNC');
    assert.equal(displayProduct(''), '');
  });
});
