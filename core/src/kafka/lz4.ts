// LZ4 for kafkajs, which has no codec of its own. Kafka's LZ4 batches are LZ4 frames; lz4js is pure
// JS, so nothing native is built at install (kafkajs-lz4 compiles lz4 with node-gyp) and the bundle
// stays portable. lz4js writes frames without the block-independence flag, which brokers refuse
// ("unexpected error"), so frames are written here: independent ≤ 4 MB blocks, each with its own
// match table; reading uses lz4js's frame decoder, which takes any valid frame.
import { CompressionCodecs, CompressionTypes } from 'kafkajs';

/* eslint-disable @typescript-eslint/no-require-imports */
const lz4 = require('lz4js') as {
  decompress(src: Uint8Array): Uint8Array;
  compressBound(n: number): number;
  compressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, hashTable: Uint32Array): number;
};
const xxh32 = require('lz4js/xxh32').hash as (seed: number, src: Uint8Array, index: number, length: number) => number;
/* eslint-enable @typescript-eslint/no-require-imports */

const MAGIC = 0x184d2204;
const FLG = 0x40 | 0x20; // version 01, blocks independent; no checksums (optional in the format)
const BD = 7 << 4; // 4 MB maximum block size
const BLOCK = 4 << 20;
const HASH_SIZE = 1 << 16; // lz4js's match table size

/** One LZ4 frame of `src`, as Kafka producers write it. */
export function compressFrame(src: Uint8Array): Buffer {
  const out = Buffer.alloc(7 + 4 + Math.ceil(src.length / BLOCK) * (4 + lz4.compressBound(BLOCK)) + 4);
  out.writeUInt32LE(MAGIC, 0);
  out[4] = FLG;
  out[5] = BD;
  out[6] = (xxh32(0, out, 4, 2) >>> 8) & 0xff;
  let at = 7;
  const block = new Uint8Array(lz4.compressBound(BLOCK));
  for (let s = 0; s < src.length; s += BLOCK) {
    const n = Math.min(BLOCK, src.length - s);
    const size = lz4.compressBlock(src, block, s, n, new Uint32Array(HASH_SIZE));
    if (size === 0 || size >= n) { // incompressible: stored as is, flagged by the high bit
      out.writeUInt32LE((0x80000000 | n) >>> 0, at);
      out.set(src.subarray(s, s + n), at + 4);
      at += 4 + n;
    } else {
      out.writeUInt32LE(size, at);
      out.set(block.subarray(0, size), at + 4);
      at += 4 + size;
    }
  }
  out.writeUInt32LE(0, at); // end mark
  return out.subarray(0, at + 4);
}

const codec = {
  async compress(encoder: { buffer: Buffer }): Promise<Buffer> { return compressFrame(encoder.buffer); },
  async decompress(buffer: Buffer): Promise<Buffer> {
    const out = lz4.decompress(buffer);
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  },
};

/** Registers the LZ4 codec with kafkajs (idempotent): call before producing or consuming LZ4 batches. */
export function registerLz4(): void {
  (CompressionCodecs as Record<number, () => typeof codec>)[CompressionTypes.LZ4] = () => codec;
}
