/**
 * The journal's on-disk format. A journal is a sequence of frames, one per persistence write
 * (group commit: one frame may hold many transactions):
 *
 *   [u32 LE payload length][u32 LE CRC-32 of the payload][payload: UTF-8 JSON]
 *
 * The payload is `[[txSeq, [op, op, ...]], ...]`: each committed transaction with its sequence
 * number and the logical operations it made (see `StoreWriter.replay` in `writer.ts`). A frame that is cut short or whose
 * checksum does not match ends the readable journal: the frames before it are kept.
 */

/** A committed transaction as the journal holds it. */
export interface JournalTx {
  /** Monotonic transaction number; a snapshot records the last one it contains. */
  seq: number;
  /** The logical operations, each a JSON array (see `StoreWriter.replay` in `writer.ts`). */
  ops: unknown[];
}

/** The result of reading a journal. */
export interface JournalRead {
  /** Transactions of every valid frame, in order. */
  txs: JournalTx[];
  /** Bytes of valid frames. */
  validBytes: number;
  /** Why reading stopped early, if it did (`null` = the whole journal was valid). */
  problem: string | null;
}

const HEADER = 8;
/** A frame larger than this is taken as a corrupt length field. */
const MAX_FRAME = 1 << 30;

/**
 * CRC-32 (IEEE) tables for slicing by 8: table k maps a byte to its CRC k bytes further on, so
 * eight bytes cost eight lookups and no per-byte shift chain (about 4x the bytewise loop).
 */
const CRC_TABLES = ((): Uint32Array => {
  const t = new Uint32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) for (let k = 1; k < 8; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n]! >>> 8) ^ t[t[(k - 1) * 256 + n]! & 0xff]!;
  return t;
})();

/** CRC-32 (IEEE) of `bytes[from, to)`. */
export function crc32(bytes: Uint8Array, from = 0, to = bytes.length): number {
  const t = CRC_TABLES;
  let c = 0xffffffff;
  let i = from;
  for (; i + 8 <= to; i += 8) {
    const a = c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    c =
      t[1792 + (a & 0xff)]! ^ t[1536 + ((a >>> 8) & 0xff)]! ^ t[1280 + ((a >>> 16) & 0xff)]! ^ t[1024 + (a >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^ t[512 + bytes[i + 5]!]! ^ t[256 + bytes[i + 6]!]! ^ t[bytes[i + 7]!]!;
  }
  for (; i < to; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Encode one frame from already-serialized transactions. `txJson` holds, per transaction, the
 * JSON text `[seq,[op,...]]`; ops were serialized once when they were made.
 */
export function encodeFrame(txJson: readonly string[]): Uint8Array {
  const body = encoder.encode(`[${txJson.join(',')}]`);
  const frame = new Uint8Array(HEADER + body.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, body.length, true);
  view.setUint32(4, crc32(body), true);
  frame.set(body, HEADER);
  return frame;
}

/** Read every valid frame of `chunks` (concatenated in order); stop at the first bad one. */
export function decodeJournal(chunks: readonly Uint8Array[]): JournalRead {
  const bytes = concat(chunks);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const txs: JournalTx[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (bytes.length - pos < HEADER) return { txs, validBytes: pos, problem: `truncated frame header at byte ${pos}` };
    const len = view.getUint32(pos, true);
    const sum = view.getUint32(pos + 4, true);
    if (len > MAX_FRAME) return { txs, validBytes: pos, problem: `implausible frame length ${len} at byte ${pos}` };
    const end = pos + HEADER + len;
    if (end > bytes.length) return { txs, validBytes: pos, problem: `truncated frame at byte ${pos} (${bytes.length - pos - HEADER} of ${len} bytes)` };
    if (crc32(bytes, pos + HEADER, end) !== sum) return { txs, validBytes: pos, problem: `checksum mismatch in frame at byte ${pos}` };
    const parsed = parseFrame(bytes.subarray(pos + HEADER, end));
    if (parsed === null) return { txs, validBytes: pos, problem: `unreadable frame payload at byte ${pos}` };
    txs.push(...parsed);
    pos = end;
  }
  return { txs, validBytes: pos, problem: null };
}

function parseFrame(body: Uint8Array): JournalTx[] | null {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(body));
  } catch {
    // A checksum collision on garbage: treat like any other corrupt frame.
    return null;
  }
  if (!Array.isArray(value)) return null;
  const out: JournalTx[] = [];
  for (const tx of value) {
    if (!Array.isArray(tx) || typeof tx[0] !== 'number' || !Array.isArray(tx[1])) return null;
    out.push({ seq: tx[0], ops: tx[1] as unknown[] });
  }
  return out;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
