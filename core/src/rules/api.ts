// The contract between the validation pipeline and semantic rules. A rule reads the config
// (resolved through `extends` for experiments) and reports problems by config path; the
// pipeline maps each path to the exact range in the file, or to the `extends` value when the
// offending value was inherited from a base file.
import type { Fix, Path, Severity } from '../diagnostic';
import type { Experiment, FileKind, TargetsFile } from '../config/types';
import type { SchemaAssociations } from '../schema/registry';

export interface FileHost {
  /** Text of a file, or undefined when it does not exist. Paths are absolute. */
  readFile(path: string): string | undefined;
  exists(path: string): boolean;
}

export interface ValidationSettings {
  /** Warn when a sweep expands to more trials than this (rule `sweep-size`). */
  maxTrials: number;
  /** Check that referenced files exist (rule `file-exists`). */
  checkFiles: boolean;
  /** The `expctl.schemas` setting: user schemas by glob (after modeline and `$schema`). */
  schemas?: SchemaAssociations;
}

export const defaultSettings: ValidationSettings = { maxTrials: 10_000, checkFiles: true };

export interface Report {
  rule: string;
  severity: Severity;
  path: Path;
  message: string;
  /** Which part of the node at `path` to underline; default 'value'. */
  target?: 'key' | 'value';
  /** Offsets within the string value at `path` to underline instead (a part of an expression); the whole value when its text has escapes. */
  span?: { start: number; end: number };
  fixes?: Fix[];
}

export interface RuleContext {
  kind: FileKind;
  /** Absolute path of the file being checked. */
  file: string;
  /** The config as validated: resolved through `extends` for an experiment, as written otherwise. */
  config: unknown;
  settings: ValidationSettings;
  host: FileHost;
  /** For a sweep: its experiment, resolved (from `experiment:` or inline `base:`), if it loaded. */
  experiment?: Experiment;
  /** The nearest targets.yaml (same folder or above), if any, already parsed. */
  targets?: TargetsFile;
  report(r: Report): void;
}

export interface Rule {
  /** Stable id shown to users as `[id]`. */
  id: string;
  kinds: FileKind[];
  /**
   * Needs the whole experiment (a script and its parameters, processes and GPUs together): not run
   * on a partial base file (`base.*`, `_*`), only in the files that extend it.
   */
  wholeExperiment?: boolean;
  check(ctx: RuleContext): void;
}
