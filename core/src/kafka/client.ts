// One way to make a kafkajs client from the YAML shape shared by data.kafka, metrics.kafka and
// targets.yaml. Secrets are only ever named (password_env, password_file) in configs; they are read
// here, at connect time, and never copied into anything that is stored, logged or shown — so a run's
// recorded config, its logs and the editor's diagnostics can only ever contain the reference.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Kafka, KafkaConfig, SASLOptions } from 'kafkajs';
import type * as tls from 'node:tls';

export type KafkaProtocol = 'plaintext' | 'ssl' | 'sasl_plaintext' | 'sasl_ssl';
export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaSasl {
  mechanism: SaslMechanism;
  username: string;
  /** Name of the environment variable holding the password. */
  password_env?: string;
  /** File holding the password (relative to the YAML file's folder); one trailing newline is dropped. */
  password_file?: string;
}

export interface KafkaTls {
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
  insecure_skip_verify?: boolean;
}

export interface KafkaSecurity {
  protocol?: KafkaProtocol;
  sasl?: KafkaSasl;
  tls?: KafkaTls;
}

/** The YAML shape, the same in data.kafka, metrics.kafka and targets.yaml. */
export interface KafkaConnection {
  bootstrap_servers: string[] | string;
  security?: KafkaSecurity;
}

export interface KafkaClientOptions {
  clientId?: string;
  /** Folder that relative password_file / ca_file / cert_file / key_file paths are resolved against. */
  baseDir?: string;
  env?: NodeJS.ProcessEnv;
  /** TCP connect (and SASL handshake) timeout per broker; kafkajs' default is 1 s. */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** kafkajs retries; 0 makes a preflight fail fast instead of retrying for seconds. */
  retries?: number;
}

/** A user's configuration cannot be turned into a client (missing secret, unreadable file…). */
export class KafkaConfigError extends Error {
  /** Field path of the offending value inside the kafka block, e.g. `security.sasl.password_env`. */
  readonly field?: string;
  constructor(message: string, field?: string) {
    super(message);
    this.name = 'KafkaConfigError';
    this.field = field;
  }
}

/** bootstrap_servers as a list: a comma-separated string is split, blanks dropped. */
export function brokersOf(conn: Pick<KafkaConnection, 'bootstrap_servers'>): string[] {
  const raw = Array.isArray(conn.bootstrap_servers) ? conn.bootstrap_servers : String(conn.bootstrap_servers ?? '').split(',');
  return raw.map((b) => String(b).trim()).filter((b) => b.length > 0);
}

/**
 * The protocol in effect: the explicit one, else implied by what is configured (sasl → sasl_*,
 * tls → *ssl), else plaintext.
 */
export function protocolOf(security: KafkaSecurity | undefined): KafkaProtocol {
  if (security?.protocol) return security.protocol;
  const sasl = security?.sasl !== undefined;
  const tlsOn = security?.tls !== undefined;
  return sasl ? (tlsOn ? 'sasl_ssl' : 'sasl_plaintext') : tlsOn ? 'ssl' : 'plaintext';
}

/**
 * The experiment's security, or else the target's `kafka.security` default (targets.yaml). No deep
 * merge on purpose: half of one and half of the other is never what anyone means, and a
 * whole-block override is easy to explain.
 */
export function effectiveSecurity(own: KafkaSecurity | undefined, targetDefault: KafkaSecurity | undefined): KafkaSecurity | undefined {
  return own ?? targetDefault;
}

/**
 * A stable key for grouping connections: brokers (sorted) and the security *references* (never a
 * secret's value), so two trials with the same brokers and credentials share one client.
 */
export function connectionKey(conn: KafkaConnection): string {
  const s = conn.security;
  return JSON.stringify([
    [...brokersOf(conn)].sort(),
    protocolOf(s),
    s?.sasl ? [s.sasl.mechanism, s.sasl.username, s.sasl.password_env ?? null, s.sasl.password_file ?? null] : null,
    s?.tls ? [s.tls.ca_file ?? null, s.tls.cert_file ?? null, s.tls.key_file ?? null, !!s.tls.insecure_skip_verify] : null,
  ]);
}

function readRef(file: string, baseDir: string | undefined, field: string, what: string): Buffer {
  const full = path.resolve(baseDir ?? process.cwd(), file);
  try {
    return fs.readFileSync(full);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be read (${code ?? 'error'})`;
    throw new KafkaConfigError(`${field}: the ${what} file ${full} ${why}`, field);
  }
}

function password(sasl: KafkaSasl, opts: KafkaClientOptions): string {
  const env = opts.env ?? process.env;
  if (sasl.password_env !== undefined) {
    const v = env[sasl.password_env];
    if (v === undefined || v === '') {
      throw new KafkaConfigError(`security.sasl.password_env: the environment variable ${sasl.password_env} is not set; export it before running (the password is only read from it, never stored)`, 'security.sasl.password_env');
    }
    return v;
  }
  if (sasl.password_file !== undefined) {
    return readRef(sasl.password_file, opts.baseDir, 'security.sasl.password_file', 'password').toString('utf8').replace(/\r?\n$/, '');
  }
  throw new KafkaConfigError('security.sasl: no password reference; add password_env: VARIABLE or password_file: PATH (passwords are never written in the YAML)', 'security.sasl');
}

/** The kafkajs `sasl` and `ssl` options for a security block (reads the referenced secrets). */
export function securityOptions(security: KafkaSecurity | undefined, opts: KafkaClientOptions = {}): Pick<KafkaConfig, 'sasl' | 'ssl'> {
  const protocol = protocolOf(security);
  const out: Pick<KafkaConfig, 'sasl' | 'ssl'> = {};
  if (protocol === 'ssl' || protocol === 'sasl_ssl') {
    const t = security?.tls ?? {};
    const ssl: tls.ConnectionOptions = {};
    if (t.ca_file) ssl.ca = [readRef(t.ca_file, opts.baseDir, 'security.tls.ca_file', 'CA certificate')];
    if (t.cert_file) ssl.cert = readRef(t.cert_file, opts.baseDir, 'security.tls.cert_file', 'client certificate');
    if (t.key_file) ssl.key = readRef(t.key_file, opts.baseDir, 'security.tls.key_file', 'client key');
    if (t.insecure_skip_verify) ssl.rejectUnauthorized = false;
    out.ssl = Object.keys(ssl).length ? ssl : true;
  } else if (security?.tls) {
    throw new KafkaConfigError(`security.tls is set but security.protocol is ${protocol}; use ssl or sasl_ssl, or drop tls`, 'security.protocol');
  }
  if (protocol === 'sasl_plaintext' || protocol === 'sasl_ssl') {
    const s = security?.sasl;
    if (!s) throw new KafkaConfigError(`security.protocol ${protocol} needs security.sasl (mechanism, username, password_env or password_file)`, 'security.sasl');
    out.sasl = { mechanism: s.mechanism, username: s.username, password: password(s, opts) } as SASLOptions;
  } else if (security?.sasl) {
    throw new KafkaConfigError(`security.sasl is set but security.protocol is ${protocol}; use sasl_plaintext or sasl_ssl, or drop sasl`, 'security.protocol');
  }
  return out;
}

/**
 * A kafkajs client for a connection. Throws KafkaConfigError (naming the field, never a secret) when
 * a referenced secret or file is missing. kafkajs' own logging is off: its messages can carry broker
 * responses, and the caller decides what the user sees.
 */
export function kafkaClient(conn: KafkaConnection, opts: KafkaClientOptions = {}): Kafka {
  const brokers = brokersOf(conn);
  if (brokers.length === 0) throw new KafkaConfigError('bootstrap_servers is empty; list at least one host:port', 'bootstrap_servers');
  // Loaded here, not at the top: the language server and the CLI start without kafkajs until a
  // file actually reads from Kafka.
  const { Kafka: KafkaClass, logLevel } = require('kafkajs') as typeof import('kafkajs'); // eslint-disable-line @typescript-eslint/no-require-imports
  return new KafkaClass({
    clientId: opts.clientId ?? 'expctl',
    brokers,
    ...securityOptions(conn.security, opts),
    connectionTimeout: opts.connectionTimeoutMs ?? 3000,
    authenticationTimeout: opts.connectionTimeoutMs ?? 3000,
    ...(opts.requestTimeoutMs !== undefined ? { requestTimeout: opts.requestTimeoutMs } : {}),
    ...(opts.retries !== undefined ? { retry: { retries: opts.retries } } : {}),
    logLevel: logLevel.NOTHING,
  });
}

/**
 * An error from kafkajs as one line for a user: the message, plus the cause's when kafkajs wraps it
 * (KafkaJSNumberOfRetriesExceeded hides the real reason in `cause`). Secrets cannot appear: kafkajs
 * never puts the password in a message, and ours never read it back.
 */
export function kafkaErrorText(e: unknown): string {
  const err = e as { message?: string; cause?: { message?: string }; originalError?: { message?: string } };
  const msg = err?.message ?? String(e);
  const inner = err?.cause?.message ?? err?.originalError?.message;
  return inner && !msg.includes(inner) ? `${msg}: ${inner}` : msg;
}
