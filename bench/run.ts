import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { renderHoldings } from '../src/bot/render-portfolio.ts';
import { splitHtml } from '../src/bot/split-message.ts';
import { ordersSchema, parseData } from '../src/mstock/schemas.ts';
import type { Holding } from '../src/mstock/types.ts';
import { startHarness } from '../test/support/queue-harness.ts';

/**
 * Benchmarks, run by hand (`npm run bench`, Redis needed). Machines here
 * are shared and noisy: read the ratios between rows of one run, not the
 * absolute numbers. Prints one table.
 */

interface Row {
  what: string;
  n: number;
  mean_ms: number;
  p50_ms: number;
  p95_ms: number;
  note: string;
}

const rows: Row[] = [];

function record(what: string, samples: number[], note = ''): Row {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const row = {
    what,
    n: samples.length,
    mean_ms: samples.reduce((a, b) => a + b, 0) / samples.length,
    p50_ms: at(0.5),
    p95_ms: at(0.95),
    note,
  };
  rows.push(row);
  return row;
}

async function time(n: number, fn: () => unknown): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return samples;
}

function orderBook(size: number): unknown {
  const doc = JSON.parse(
    readFileSync('test/fixtures/mstock-type-a/orderbook.doc.json', 'utf8'),
  ) as { data: Record<string, unknown>[] };
  const row = doc.data[0]!;
  return Array.from({ length: size }, (_, i) => ({
    ...row,
    order_id: String(1151240930103 + i),
    price: String(1250 + i / 100),
    status: i % 3 === 0 ? 'Pending' : 'Traded',
  }));
}

function holdings(size: number): Holding[] {
  return Array.from({ length: size }, (_, i) => ({
    name: `COMPANY NUMBER ${i} LIMITED`,
    isin: `INE${String(i).padStart(9, '0')}`,
    exchange: 'NSE',
    quantity: 10 + i,
    averagePrice: 1000 + i,
    lastPrice: 1010 + i * 1.5,
    closePrice: 1005 + i,
  }));
}

async function main(): Promise<void> {
  // Parsing: the order book is read every poll; 500 rows is a busy day.
  for (const size of [50, 500]) {
    const book = orderBook(size);
    record(
      `parse order book, ${size} rows`,
      await time(200, () => parseData(ordersSchema, book, 'GET orders')),
    );
  }

  // Rendering and splitting a long reply.
  const many = holdings(500);
  record(
    'render + split 500 holdings',
    await time(100, () => splitHtml(renderHoldings(many), 4096)),
  );

  // A broker read straight vs through BullMQ and real Redis; the ratio is
  // what the queue costs a user on top of the broker's own latency.
  const harness = await startHarness('bench');
  try {
    const direct = record(
      'funds: direct client call',
      await time(200, () => harness.client.funds()),
    );
    const queued = record(
      'funds: via queue, one at a time',
      await time(200, () => harness.gateway.call('funds', {})),
    );
    queued.note = `queue adds ${(queued.p50_ms - direct.p50_ms).toFixed(2)} ms at p50`;

    const heapBefore = process.memoryUsage().heapUsed;
    const start = performance.now();
    const burst = 400;
    const inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < burst; i++) {
      inFlight.push(harness.gateway.call('funds', {}));
    }
    await Promise.all(inFlight);
    const elapsed = performance.now() - start;
    const heapAfter = process.memoryUsage().heapUsed;
    const heapMb = (heapAfter - heapBefore) / 1e6;
    record(
      `funds: via queue, ${burst} at once`,
      [elapsed],
      `total for all ${burst}: ${Math.round((burst / elapsed) * 1000)} jobs/s; heap ${heapMb >= 0 ? '+' : ''}${heapMb.toFixed(1)} MB`,
    );
  } finally {
    await harness.close();
  }

  const fmt = (x: number) => x.toFixed(3).padStart(9);
  console.log(
    `${'what'.padEnd(36)} ${'n'.padStart(5)} ${'mean ms'.padStart(9)} ${'p50 ms'.padStart(9)} ${'p95 ms'.padStart(9)}  note`,
  );
  for (const r of rows) {
    console.log(
      `${r.what.padEnd(36)} ${String(r.n).padStart(5)} ${fmt(r.mean_ms)} ${fmt(r.p50_ms)} ${fmt(r.p95_ms)}  ${r.note}`,
    );
  }
}

await main();
