// A real Kafka broker for tests (scripts/kafka/broker.sh: Kafka from Maven Central, KRaft, one node
// on 127.0.0.1, auto topic creation OFF so a missing topic stays missing). One broker per test
// process, started on first use and stopped when the process ends — also when a test fails.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../core/src/util/net';

const BROKER_SH = path.resolve(__dirname, '../../scripts/kafka/broker.sh');

export interface TestBroker {
  /** host:port of the broker's PLAINTEXT listener. */
  bootstrap: string;
  port: number;
  pid: number;
  /** The broker's data folder (broker.log is in it). */
  dataDir: string;
}

let broker: Promise<TestBroker> | undefined;

/** The broker of this test process, started once (about 3–10 s; the jars are built once per machine). */
export function testBroker(): Promise<TestBroker> {
  broker ??= start();
  return broker;
}

async function start(): Promise<TestBroker> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-test-kafka-'));
  let pid: number;
  try {
    pid = Number(execFileSync('bash', [BROKER_SH, 'start', String(port), dataDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim());
  } catch (e) {
    throw new Error(`the test Kafka broker did not start (see ${dataDir}/broker.log): ${(e as Error).message}`);
  }
  // Synchronous, so it also runs when the test runner exits the process after a failure.
  process.once('exit', () => {
    spawnSync('bash', [BROKER_SH, 'stop', dataDir], { stdio: 'ignore' });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return { bootstrap: `127.0.0.1:${port}`, port, pid, dataDir };
}
