// What fill.mjs writes and load.mjs reads: an MNIST-like record (a label and 28×28 pixels) as Avro
// or JSON, and LZ4 for kafkajs. Standalone (kafkajs and lz4js only), so this folder can be copied out
// of the repository: `npm install` here, or run it inside the repository's checkout.
import kafkajs from 'kafkajs'; // CommonJS: no named exports for ESM

const { CompressionCodecs, CompressionTypes } = kafkajs;
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const lz4 = require('lz4js');
const xxh32 = require('lz4js/xxh32').hash;

// ---- Avro, single-object encoding (C3 01, the schema's CRC-64-AVRO fingerprint, the binary body) --

/** The record's schema in Avro's Parsing Canonical Form (what the fingerprint is taken of). */
export const SCHEMA = '{"name":"MnistImage","type":"record","fields":[{"name":"label","type":"int"},{"name":"pixels","type":"bytes"}]}';
export const PIXELS = 28 * 28;

/** CRC-64-AVRO (Rabin) of a string, as Avro specifies it for schema fingerprints. */
function fingerprint(s) {
  const EMPTY = 0xc15d213aa4d7a795n;
  const table = Array.from({ length: 256 }, (_, i) => {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n));
    return fp;
  });
  let fp = EMPTY;
  for (const b of Buffer.from(s, 'utf8')) fp = (fp >> 8n) ^ table[Number((fp ^ BigInt(b)) & 0xffn)];
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(fp & 0xffffffffffffffffn);
  return out;
}
const HEADER = Buffer.concat([Buffer.from([0xc3, 0x01]), fingerprint(SCHEMA)]);

const zigzag = (n) => (n << 1) ^ (n >> 31);
function writeLong(n, out, at) {
  let v = zigzag(n) >>> 0;
  while (v > 0x7f) { out[at++] = (v & 0x7f) | 0x80; v >>>= 7; }
  out[at++] = v;
  return at;
}
function readLong(b, at) {
  let v = 0;
  let shift = 0;
  for (;;) {
    const c = b[at++];
    v |= (c & 0x7f) << shift;
    if (c < 0x80) break;
    shift += 7;
  }
  return [(v >>> 1) ^ -(v & 1), at];
}

export function encodeAvro({ label, pixels }) {
  const out = Buffer.alloc(HEADER.length + 5 + 5 + pixels.length);
  HEADER.copy(out);
  let at = writeLong(label, out, HEADER.length);
  at = writeLong(pixels.length, out, at);
  out.set(pixels, at);
  return out.subarray(0, at + pixels.length);
}

export function decodeAvro(b) {
  if (b.length < HEADER.length || b.compare(HEADER, 0, HEADER.length, 0, HEADER.length) !== 0) {
    throw new Error(`not an Avro MnistImage (single-object encoding with this schema's fingerprint); starts with ${b.subarray(0, 4).toString('hex')}`);
  }
  const [label, at] = readLong(b, HEADER.length);
  const [n, from] = readLong(b, at);
  return { label, pixels: b.subarray(from, from + n) };
}

export const encodeJson = ({ label, pixels }) => Buffer.from(JSON.stringify({ label, pixels: Array.from(pixels) }));
export function decodeJson(b) {
  const v = JSON.parse(b.toString('utf8'));
  if (typeof v?.label !== 'number' || !Array.isArray(v.pixels)) throw new Error('not a JSON MnistImage ({"label": n, "pixels": [...]})');
  return { label: v.label, pixels: Uint8Array.from(v.pixels) };
}

/** A deterministic digit-like image: a ring whose size and place follow the record's number. */
export function image(i) {
  const label = i % 10;
  const pixels = new Uint8Array(PIXELS);
  const cx = 10 + (i % 7);
  const cy = 10 + ((i >> 3) % 7);
  const r = 4 + label / 2;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const d = Math.abs(Math.hypot(x - cx, y - cy) - r);
      if (d < 1.5) pixels[y * 28 + x] = Math.round(255 * (1 - d / 1.5));
    }
  }
  return { label, pixels };
}

// ---- LZ4 for kafkajs (it has none). Frames of independent blocks: brokers refuse lz4js's own. ----

const BLOCK = 4 << 20;
function compressFrame(src) {
  const out = Buffer.alloc(11 + Math.ceil(src.length / BLOCK) * (4 + lz4.compressBound(BLOCK)) + 4);
  out.writeUInt32LE(0x184d2204, 0);
  out[4] = 0x60; // version 01, independent blocks
  out[5] = 7 << 4; // 4 MB blocks
  out[6] = (xxh32(0, out, 4, 2) >>> 8) & 0xff;
  let at = 7;
  const block = new Uint8Array(lz4.compressBound(BLOCK));
  for (let s = 0; s < src.length; s += BLOCK) {
    const n = Math.min(BLOCK, src.length - s);
    const size = lz4.compressBlock(src, block, s, n, new Uint32Array(1 << 16));
    if (size === 0 || size >= n) {
      out.writeUInt32LE((0x80000000 | n) >>> 0, at);
      out.set(src.subarray(s, s + n), at + 4);
      at += 4 + n;
    } else {
      out.writeUInt32LE(size, at);
      out.set(block.subarray(0, size), at + 4);
      at += 4 + size;
    }
  }
  out.writeUInt32LE(0, at);
  return out.subarray(0, at + 4);
}

export function registerLz4() {
  const codec = {
    async compress(encoder) { return compressFrame(encoder.buffer); },
    async decompress(buffer) { const o = lz4.decompress(buffer); return Buffer.from(o.buffer, o.byteOffset, o.byteLength); },
  };
  CompressionCodecs[CompressionTypes.LZ4] = () => codec;
}

/** Every topic of the benchmark: format × compression. */
export const TOPICS = [
  { topic: 'mnist_train_avro_lz4', format: 'avro', compression: 'lz4' },
  { topic: 'mnist_train_avro', format: 'avro', compression: 'none' },
  { topic: 'mnist_train_json_lz4', format: 'json', compression: 'lz4' },
  { topic: 'mnist_train_json', format: 'json', compression: 'none' },
];

/** bootstrap_servers as templates render it: a JSON list, or host:port[,host:port]. */
export const brokersOf = (s) => (s.trim().startsWith('[') ? JSON.parse(s) : s.split(',')).map((b) => String(b).trim()).filter(Boolean);
