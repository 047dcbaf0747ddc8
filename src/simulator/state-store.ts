import type { Redis } from 'ioredis';

/**
 * Where the simulator keeps its paper state between runs. The state is
 * opaque text to the store; `load` gives null when nothing was saved.
 */
export interface SimulatorStore {
  load(): Promise<string | null>;
  save(state: string): Promise<void>;
}

/**
 * The state as one Redis string under `key`, without expiry: a paper
 * account lives until someone deletes the key.
 */
export function redisSimulatorStore(redis: Redis, key: string): SimulatorStore {
  return {
    load: () => redis.get(key),
    save: async (state) => {
      await redis.set(key, state);
    },
  };
}
