// Statistics for experiment results: pure functions, no I/O and no Node APIs (the webviews bundle
// this too).
//
// Conventions, everywhere in this folder:
// - Input values that are not finite numbers (NaN, ±Infinity, null, undefined) are excluded and
//   counted (`excluded`), never propagated.
// - No finite value left → `{ empty: true, message, excluded }` (type `Empty`), not an exception:
//   an empty group is a normal thing to display.
// - A statistic the data cannot support (std of one value, a test on constant samples, the
//   geometric mean of non-positive values inside describe) is `undefined` with a reason next to it.
// - StatsError is thrown for misuse: an unknown method, a probability outside [0, 1], ddof < 0,
//   and geometricMean() on values ≤ 0.
export { StatsError, type StatsErrorCode } from './errors';
export { type Value, type Empty, isEmpty } from './sample';
export { QUANTILE_METHODS, type QuantileMethod, quantileSorted } from './quantile';
export {
  type DescribeOptions, type Description, type BoxStats, type Outlier, type MeanInterval,
  describe, geometricMean,
} from './describe';
export {
  lnGamma, lnBeta, incompleteBeta, studentTCdf, studentTSf, studentTPdf, studentTQuantile, erfc, normalCdf,
} from './distributions';
export {
  type Direction, type RankOptions, type RankedGroup, type Ranking, type SpeedupInput, type Speedup, type Throughput, type SuccessRate,
  rankGroups, speedup, throughput, successRate, runSpans, campaignTimes,
} from './compare';
export { type WelchResult, type MannWhitneyOptions, type MannWhitneyResult, welchTTest, mannWhitneyU, mannWhitneyCdf } from './hypothesis';
export { type BootstrapOptions, type BootstrapResult, bootstrapMedianDifference } from './bootstrap';
export { type Reduce, type GroupItem, type GroupOptions, type MetricColumn, type Group, type GroupSummary, type Reported, groupItems, poolItems, summarizeGroups, valueAt } from './group';
export { type ComparedGroup, type ComparisonRow, type Comparison, type ComparisonOptions, compareGroups } from './comparison';
export { type MedianInterval, bootstrapMedian } from './bootstrap';
export {
  type WilcoxonOptions, type WilcoxonResult, type PairedTResult, type PairedOptions, type PairedComparison,
  wilcoxonSignedRank, pairedTTest, pairedComparison,
} from './paired';
