// Thrown for misuse (an argument outside its domain), never for data that merely has too few values:
// those give `{ empty: true, message }` or an `undefined` statistic with a reason (see index.ts).

export type StatsErrorCode = 'invalid-argument' | 'non-positive' | 'no-convergence';

export class StatsError extends Error {
  constructor(readonly code: StatsErrorCode, message: string) {
    super(message);
    this.name = 'StatsError';
  }
}
