// Sweep expansion: public surface for the CLI, the runner, the language server and rules.
export {
  type Trial, type Expansion, type ExpandOptions, type SweepErrorRule,
  SweepError, MAX_RANGE_VALUES, CONTINUOUS_DISTRIBUTIONS,
  expandSweep, countTrials, checkSweep, trialConfig, gridValues, gridCount, trialKey, canonicalJson, deepEqual, setDotted, formatCount,
} from './expand';
export { type Rng, mulberry32, uniform, logUniform, intUniform, normal, quantize, categorical, clean } from './prng';
export { sweepRules } from './rules';
