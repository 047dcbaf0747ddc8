/**
 * Scripted misbehaviour of the simulated broker, for tests and demos:
 * which request it applies to, what happens, and how many times.
 */

export type LostReply = 'hang' | 'reset' | 'empty';

export type Fault =
  /** Answer this status, with `body` as JSON (default: an error body). */
  | { type: 'status'; status: number; body?: unknown }
  /** A ~2 KB HTML page with `<script>` tags, as a bot shield sends. */
  | { type: 'html'; status: number }
  /** Never answer; the socket is closed when the simulator closes. */
  | { type: 'hang' }
  /** Destroy the socket without a reply. */
  | { type: 'reset' }
  /** HTTP 200 with an empty body. */
  | { type: 'empty' }
  /** Run the request (an order IS recorded), then lose the reply. */
  | { type: 'after-write'; then: LostReply }
  /** Answer as for an expired token, without ending the session. */
  | { type: 'token-expired' }
  /** HTTP 429 with `Retry-After` (seconds, default 1). */
  | { type: 'rate-limited'; retryAfterS?: number }
  /** Wait, then answer normally. */
  | { type: 'delay'; ms: number };

export interface FaultMatch {
  /** Any method when absent; compared case-insensitively. */
  method?: string;
  /**
   * The route after `/openapi/typea/` (`orders/regular`) or the full
   * path; a RegExp is tried on both. Any path when absent.
   */
  path?: string | RegExp;
}

interface Armed {
  match: FaultMatch;
  fault: Fault;
  remaining: number;
}

export class FaultRegistry {
  private armed: Armed[] = [];

  add(match: FaultMatch, fault: Fault, times: number): void {
    this.armed.push({ match, fault, remaining: times });
  }

  clear(): void {
    this.armed = [];
  }

  /** The first armed fault for this request, used up by one. */
  take(method: string, route: string, fullPath: string): Fault | undefined {
    const index = this.armed.findIndex((a) =>
      matches(a.match, method, route, fullPath),
    );
    if (index === -1) return undefined;
    const armed = this.armed[index];
    if (armed === undefined) return undefined;
    armed.remaining -= 1;
    if (armed.remaining <= 0) this.armed.splice(index, 1);
    return armed.fault;
  }
}

function matches(
  match: FaultMatch,
  method: string,
  route: string,
  fullPath: string,
): boolean {
  if (
    match.method !== undefined &&
    match.method.toUpperCase() !== method.toUpperCase()
  ) {
    return false;
  }
  const path = match.path;
  if (path === undefined) return true;
  if (path instanceof RegExp) {
    // A /g or /y pattern keeps state between calls; reset it each time.
    path.lastIndex = 0;
    if (path.test(route)) return true;
    path.lastIndex = 0;
    return path.test(fullPath);
  }
  const wanted = path.replace(/^\/+/, '');
  return wanted === route || `/${wanted}` === fullPath;
}

/**
 * A bot-protection interstitial like the one a load balancer put in front
 * of the broker's API: HTML, scripts, no JSON anywhere.
 */
export function htmlErrorPage(status: number): string {
  const filler =
    '<p class="note">Please enable JavaScript and cookies to continue. ' +
    'This check protects the site from automated traffic.</p>\n';
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${status} Bad Gateway</title>`,
    '<script>window.__shield={ray:"7f3a9c1e2b",t:Date.now()};</script>',
    '<script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js"></script>',
    '<style>body{font-family:sans-serif;margin:4em}h1{color:#b00}</style>',
    '</head><body>',
    `<h1>${status} Bad Gateway</h1>`,
    filler.repeat(12),
    '<script>(function(){var s=document.createElement("script");',
    's.src="/cdn-cgi/challenge-platform/h/b/orchestrate/v1";',
    'document.body.appendChild(s);})();</script>',
    '</body></html>',
  ].join('\n');
}
