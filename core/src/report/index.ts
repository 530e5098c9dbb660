// Campaign reports from job-attempt CSVs (HTCondor's job_summary.csv, expctl's runs.csv, or any
// CSV given a column mapping). Pure: text in, JSON and Markdown out — runs in Node and in a webview.
import { computeFigures, filterAttempts, type ReportFilters } from './compute';
import { FIELDS, ReportInputError } from './columns';
import { closest } from '../util/strings';
import { loadCampaign, type LoadOptions, type LoadedCampaign } from './load';
import { renderMarkdown } from './markdown';
import { buildSummary } from './summary';
import { derivedStats } from './derived';
import type { Derivation } from '../stats/derive';
import type { CampaignReport } from './types';

export type * from './types';
export {
  FIELDS, HTCONDOR_MAPPING, EXPCTL_RUNS_MAPPING, MAPPINGS, ReportInputError, resolveColumns,
  type Field, type ColumnMapping, type MappingOptions,
} from './columns';
export { loadCampaign, SUCCESS_STATUSES, PENDING_STATUSES, type Attempt, type Outcome, type LoadOptions, type LoadedCampaign } from './load';
export { filterAttempts, attemptTime, type ReportFilters } from './compute';
export { jobType, parseTimestamp, parseNumber } from './values';
export { renderMarkdown };

export interface ReportOptions extends ReportFilters {
  title?: string;
  /** Metrics computed per attempt (also passed to loading, which computes them). */
  derive?: readonly Derivation[];
  /** Problems kept in the JSON (all are counted). Default 100. */
  maxProblems?: number;
}

/** The report for already loaded attempts: filter again without parsing again (the webview does). */
export function buildReport(loaded: LoadedCampaign, options: ReportOptions = {}): CampaignReport {
  const attempts = filterAttempts(loaded.attempts, options);
  const figures = computeFigures(attempts, loaded);
  const filters: CampaignReport['filters'] = {};
  if (options.from) filters.from = options.from;
  if (options.to) filters.to = options.to;
  if (options.resources?.length) filters.resources = options.resources;
  return {
    version: 1,
    title: options.title ?? 'Campaign report',
    source: {
      mapping: loaded.mapping,
      columns: { ...loaded.columns } as Record<string, string>,
      rowsRead: loaded.rowsRead,
      rowsSkipped: loaded.rowsSkipped,
      rowsFilteredOut: loaded.attempts.length - attempts.length,
      rowsUsed: attempts.length,
    },
    filters,
    period: figures.period,
    problems: { total: loaded.problems.length, shown: loaded.problems.slice(0, options.maxProblems ?? 100) },
    overall: figures.overall,
    resources: figures.resources,
    jobTypes: figures.jobTypes,
    daily: figures.daily,
    undatedAttempts: figures.undatedAttempts,
    summary: buildSummary(figures, attempts, loaded.hasEpochs),
    ...(options.derive?.length ? { derived: derivedStats(options.derive, attempts) } : {}),
  };
}

/** CSV text → report. Throws ReportInputError when required columns are missing; bad rows are skipped and listed. */
export function campaignReport(csvText: string, options: LoadOptions & ReportOptions = {}): CampaignReport {
  const loaded = loadCampaign(csvText, options);
  if (loaded.unknownNames.length) {
    const names = loaded.unknownNames.map((n) => {
      const near = closest(n, [...FIELDS, ...loaded.header]);
      return `"${n}"${near ? ` (did you mean ${near}?)` : ''}`;
    }).join(', ');
    throw new ReportInputError(`derived metrics use ${names}, neither a field nor a column header of the file; fields: ${FIELDS.join(', ')}`);
  }
  return buildReport(loaded, options);
}
