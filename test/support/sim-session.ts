import { generateSync } from 'otplib';
import {
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/simulator.ts';

/** IST is UTC+05:30 all year (no daylight saving). */
const IST_OFFSET_MS = (5 * 60 + 30) * 60 * 1000;

/** Epoch ms of a wall-clock time in IST; `mo` is 1-12. */
export function ist(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi = 0,
): number {
  return Date.UTC(y, mo - 1, d, h, mi) - IST_OFFSET_MS;
}

/** A simulator on a hand-moved clock, already logged in. */
export interface SimSession {
  sim: Simulator;
  /** Epoch ms the simulator reads as "now"; tests move `t` by hand. */
  clock: { t: number };
  /** The access token from session/verifytotp. */
  token: string;
}

export interface SimSessionOptions extends SimulatorOptions {
  /** Start of a fresh clock, epoch ms; ignored when `clock` is given. */
  at?: number;
  /** A clock to share, e.g. across a restart on the same store. */
  clock?: { t: number };
}

/**
 * Starts the simulator with `tickMs: 0` (prices move only when told) on
 * a fixed clock and logs in with the TOTP of that clock's time step.
 * Closes the simulator again if the login fails.
 */
export async function openSimSession(
  options: SimSessionOptions = {},
): Promise<SimSession> {
  const { at, clock: shared, ...simOptions } = options;
  const clock = shared ?? { t: at ?? Date.now() };
  const sim = await startSimulator({
    tickMs: 0,
    now: () => clock.t,
    ...simOptions,
  });
  try {
    const totp = generateSync({
      secret: sim.credentials.totpSecret,
      // otplib v13 takes the epoch in seconds.
      epoch: Math.floor(clock.t / 1000),
    });
    const res = await fetch(`${sim.baseUrl}/session/verifytotp`, {
      method: 'POST',
      headers: {
        'X-Mirae-Version': '1',
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ api_key: sim.credentials.apiKey, totp }),
      signal: AbortSignal.timeout(5000),
    });
    const json = (await res.json()) as { data: { access_token: string } };
    return { sim, clock, token: json.data.access_token };
  } catch (error) {
    await sim.close();
    throw error;
  }
}
