/**
 * Misuse of the simulator's own controls (an unknown order id given to
 * `fillOrder`, a bad option). The broker routes never throw this: a bad
 * request over HTTP always gets a Type A error body instead.
 */
export class SimulatorError extends Error {
  override name = 'SimulatorError';
}
