// The report as Markdown: GitHub tables and bullet insights, for a PR comment, a wiki or a terminal.
import { bytes, duration, hours, MIB, num, pct } from './format';
import type { CampaignReport, EfficiencyStats, ResourceStats, UsageStats } from './types';

/** Problems listed in full before "and N more". */
const PROBLEMS_SHOWN = 20;

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function table(header: string[], rows: string[][], right: boolean[] = header.map((_, i) => i > 0)): string {
  const lines = [
    `| ${header.map(cell).join(' | ')} |`,
    `|${header.map((_, i) => (right[i] ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
  return lines.join('\n');
}

export function renderMarkdown(report: CampaignReport): string {
  const { source, filters, summary } = report;
  const all = [...report.resources, ...(report.resources.length > 1 ? [report.overall] : [])];
  const out: string[] = [`# ${report.title}`, '', summary.headline, ''];

  const scope = [`${num(source.rowsUsed)} of ${num(source.rowsRead)} rows used (${source.mapping} columns)`];
  if (source.rowsSkipped) scope.push(`${num(source.rowsSkipped)} skipped as bad (see Problems)`);
  if (source.rowsFilteredOut) scope.push(`${num(source.rowsFilteredOut)} outside the filters`);
  const f = [filters.from && `from ${filters.from}`, filters.to && `to ${filters.to}`, filters.resources?.length && `resources ${filters.resources.join(', ')}`].filter(Boolean);
  if (f.length) scope.push(`filters: ${f.join(', ')}`);
  out.push(`Scope: ${scope.join('; ')}.`, '');

  out.push('## Insights', '', ...summary.insights.map((s) => `- ${s}`), '');
  out.push('## Recommendations', '');
  out.push(...(summary.recommendations.length
    ? summary.recommendations.map((r) => `- **${r.severity}** — ${r.text}`)
    : ['- Nothing stands out: no loss reached the thresholds.']), '');

  out.push('## Resources', '', table(
    ['Resource', 'Attempts', 'Attempt success', 'Hours', 'Successful h', 'Unsuccessful h', 'Success rate', 'GPU-hours', 'Wall h', 'Epochs', 'h / epoch'],
    all.map((r) => [label(r), num(r.attempts), pct(r.attemptSuccessRate), hours(r.hours), hours(r.successfulHours), hours(r.unsuccessfulHours),
      pct(r.successRate), hours(r.gpuHours), hours(r.wallHours), num(r.epochs), r.hoursPerEpoch === null ? '—' : num(r.hoursPerEpoch, 2)]),
  ), '', 'Hours are execution hours (Execution Duration); success rate is successful hours / (successful + unsuccessful hours); '
    + 'completed and checkpointed attempts are successful.', '');

  if (report.derived?.length) {
    // Derived values are the user's own units: shown with up to 4 significant digits.
    const g = (x: number) => Number(x.toPrecision(4)).toString();
    out.push('## Derived metrics', '', table(
      ['Metric', 'Resource', 'Attempts', 'Mean', 'Median', 'p95', 'Min', 'Max'],
      report.derived.flatMap((d) => [...d.resources.map((r) => ({ who: r.resource, v: r.values })), ...(d.overall ? [{ who: '**all**', v: d.overall }] : [])]
        .map(({ who, v }) => [`${d.name}`, who, num(v.count), g(v.mean), g(v.median), g(v.p95), g(v.min), g(v.max)])),
    ), '', ...report.derived.map((d) => `- \`${d.name} = ${d.expression}\`${d.missing ? `: no value for ${num(d.missing)} attempts (${Object.entries(d.reasons).map(([r, n]) => `${num(n)} ${r}`).join('; ')})` : ''}`), '');
  }

  const statuses = Object.keys(report.overall.statusCounts);
  out.push('## Final status', '', table(
    ['Resource', ...statuses],
    all.map((r) => [label(r), ...statuses.map((s) => (Object.hasOwn(r.statusCounts, s) ? `${num(r.statusCounts[s])} (${hours(r.statusHours[s])} h)` : '—'))]),
  ), '');

  out.push('## GPU types', '', table(
    ['Resource', 'GPU', 'Memory MB', 'Capability', 'Attempts', 'Hours', 'GPU-hours', 'Success rate'],
    report.resources.flatMap((r) => r.gpuMix.map((g) => [r.resource, g.device, g.memoryMb === null ? '—' : num(g.memoryMb), g.capability ?? '—',
      num(g.attempts), hours(g.hours), hours(g.gpuHours), pct(g.successRate)])),
    [false, false, true, true, true, true, true, true],
  ), '');

  out.push('## Data transfer', '', table(
    ['Resource', 'Sent', 'Received'],
    all.map((r) => [label(r), bytes(r.bytesSent), bytes(r.bytesReceived)]),
  ), '', table(
    ['Job type', 'Attempts', 'Hours', 'Success rate', 'Epochs', 'Sent', 'Received'],
    report.jobTypes.map((j) => [j.jobType, num(j.attempts), hours(j.hours), pct(j.successfulHours + j.unsuccessfulHours > 0 ? j.successfulHours / (j.successfulHours + j.unsuccessfulHours) : null),
      num(j.epochs), bytes(j.bytesSent), bytes(j.bytesReceived)]),
  ), '');

  const typesWithTransfer = report.jobTypes.filter((j) => j.transferInput);
  if (typesWithTransfer.length) {
    out.push('## Input transfer per job type', '', table(
      ['Job type', 'Attempts', 'Median', 'p95', 'Total h', 'Share of time', 'Rate'],
      typesWithTransfer.map((j) => {
        const t = j.transferInput!;
        return [j.jobType, num(t.count), duration(t.median), duration(t.p95), hours(j.transferInputHours), pct(j.transferShare), rate(j.transferRate)];
      }),
    ), '', 'Share of time: transfer / (transfer + execution time); rate: bytes received / transfer time.', '');
  }

  const gpuUse = all.filter((r) => r.gpuUtilization || r.gpuMemoryUsedMb);
  if (gpuUse.length) {
    out.push('## GPU utilisation', '', table(
      ['Resource', 'Attempts', 'Mean util.', 'Median util.', 'p95 util.', 'GPU efficiency', 'Median memory used', 'Median used / total', 'p95 used / total'],
      gpuUse.map((r) => {
        const u = r.gpuUtilization;
        const m = r.gpuMemoryUtilization;
        const share = (x: number | undefined) => (x === undefined ? '—' : pct(x));
        return [label(r), num(u?.count ?? r.gpuMemoryUsedMb?.count ?? 0), u ? `${num(u.mean, 1)}%` : '—', u ? `${num(u.median, 1)}%` : '—', u ? `${num(u.p95, 1)}%` : '—',
          pct(r.gpuEfficiency), r.gpuMemoryUsedMb ? bytes(r.gpuMemoryUsedMb.median * MIB) : '—', share(m?.median), share(m?.p95)];
      }),
    ), '', 'GPU efficiency: busy / allocated GPU-hours (execution hours × GPUs × utilisation); memory used is the peak per attempt.', '');
  }

  const usageRows = all.flatMap((r) => USAGE.flatMap(([kind, what, mib]) => {
    const u = r.usage[kind];
    return u ? [[label(r), what, ...usageCells(u, mib)]] : [];
  }));
  if (usageRows.length) {
    out.push('## Requested and used', '', table(['Resource', 'What', 'Attempts', 'Requested (mean)', 'Used (mean)', 'Median used / requested', 'Over request'], usageRows,
      [false, false, true, true, true, true, true]), '');
  }

  const withTransfer = all.filter((r) => r.transferInput);
  if (withTransfer.length) {
    out.push('## Input transfer time', '', table(
      ['Resource', 'Attempts', 'Mean', 'Median', 'p95', 'Max', 'Total h'],
      withTransfer.map((r) => {
        const t = r.transferInput!;
        return [label(r), num(t.count), duration(t.mean), duration(t.median), duration(t.p95), duration(t.max), hours(r.transferInputHours)];
      }),
    ), '');
  }

  if (report.daily.length) {
    const moved = report.daily.some((d) => d.bytesReceived > 0 || d.bytesSent > 0);
    const transfer = report.daily.some((d) => d.transferHours > 0);
    out.push('## By day', '', table(
      ['Day (UTC)', 'Attempts', 'Hours', 'Epochs', 'Cumulative epochs', ...(moved ? ['Received', 'Sent'] : []), ...(transfer ? ['Transfer h'] : [])],
      report.daily.map((d) => [d.date, num(d.attempts), hours(d.hours), num(d.epochs), num(d.cumulativeEpochs),
        ...(moved ? [bytes(d.bytesReceived), bytes(d.bytesSent)] : []), ...(transfer ? [hours(d.transferHours)] : [])]),
    ), '');
    if (report.undatedAttempts) out.push(`${num(report.undatedAttempts)} attempts have no Start or Submit Time and are in no day.`, '');
  }

  if (report.problems.total) {
    out.push('## Problems', '', ...report.problems.shown.slice(0, PROBLEMS_SHOWN).map((p) => `- line ${p.line}: ${p.message}${p.value !== undefined ? ` ("${p.value}")` : ''}`));
    if (report.problems.total > PROBLEMS_SHOWN) out.push(`- … and ${num(report.problems.total - PROBLEMS_SHOWN)} more`);
    out.push('');
  }
  return out.join('\n');
}

const label = (r: ResourceStats): string => (r.resource === '(all)' ? '**all**' : r.resource);

/** Bytes per second in the tables' unit family. */
const rate = (b: number | null): string => (b === null ? '—' : `${bytes(b)}/s`);

/** The usage kinds, their name in the table, and whether their values are MiB. */
const USAGE: ReadonlyArray<[keyof EfficiencyStats['usage'], string, boolean]> = [['memory', 'memory', true], ['cpus', 'CPUs', false], ['disk', 'disk', true]];

function usageCells(u: UsageStats, mib: boolean): string[] {
  const amount = (x: number) => (mib ? bytes(x * MIB) : num(x, 2));
  return [num(u.attempts), amount(u.requestedMean), amount(u.usedMean), u.usedShare ? pct(u.usedShare.median) : '—', num(u.overRequest)];
}
