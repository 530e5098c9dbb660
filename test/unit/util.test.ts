// Shared helpers: own-property config paths, YAML scalars, process liveness.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { at, getDotted } from '../../core/src/util/object';
import { renderTemplate } from '../../core/src/config/template';
import { yamlScalar } from '../../core/src/util/yaml-scalar';
import { alive } from '../../core/src/util/process';

test('config paths follow own properties and array indices only', () => {
  const cfg = { params: { lr: 0.1 }, command: ['python', 'train.py'] };
  assert.equal(getDotted(cfg, 'params.lr'), 0.1);
  assert.equal(getDotted(cfg, 'command.1'), 'train.py');
  assert.equal(getDotted(cfg, 'constructor'), undefined);
  assert.equal(getDotted(cfg, 'params.toString'), undefined);
  assert.equal(at(cfg, 'command', 5), undefined);
  assert.equal(renderTemplate('{constructor} {params.lr}', (n) => getDotted(cfg, n)), '{constructor} 0.1', 'unknown names stay as written');
});

test('YAML scalars: plain when they read back the same, quoted otherwise', () => {
  assert.equal(yamlScalar('fp16'), 'fp16');
  assert.equal(yamlScalar('no'), '"no"', 'a YAML 1.1 boolean');
  assert.equal(yamlScalar('1.0'), '"1.0"', 'would read back as a number');
  assert.equal(yamlScalar('a: b'), '"a: b"');
  assert.equal(yamlScalar(0.5), '0.5');
  assert.equal(yamlScalar(null), 'null');
});

test('alive: this process yes, a pid that does not exist no', () => {
  assert.equal(alive(process.pid), true);
  assert.equal(alive(2 ** 22 + 7), false);
  assert.equal(alive(undefined), false);
});
