/** What every scenario gets from bench/run.ts: sizes, durations, cores and a logger. */
export interface Durations {
  warmupMs: number;
  measureMs: number;
  drainMs: number;
}

export interface BenchContext {
  quick: boolean;
  /** taskset core lists; undefined when taskset is missing. */
  serverCores?: string;
  generatorCores?: string;
  /** How many cores the generators share (for the "generator-bound" flag). */
  generatorCoreCount: number;
  clientsPerGenerator: number;
  observersPerRoom: number;
  fanoutSteps: number[];
  /** Scenario E: avatars in the one space, climbed in order. */
  bigSpaceSizes: number[];
  chatRates: number[];
  joinClients: number;
  idleClients: number;
  dicePairs: number;
  diceTargetScore: number;
  durations: {
    fanout: Durations;
    chat: Durations;
    bigSpace: Durations;
    diceMs: number;
  };
  databaseUrl?: string;
  log(line: string): void;
}
