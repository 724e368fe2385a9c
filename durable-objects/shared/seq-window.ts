/**
 * Which numbers of a sequence arrived: the highest, and one bit for each of the {@link WINDOW}
 * numbers below it; older ones count as arrived. Pure, for DeliveryMarks. Bit i of `below`
 * stands for number `last - 1 - i`; `below` null means every number below `last` arrived (a
 * mark stored before the window was kept).
 */
export const WINDOW = 1024;
const BYTES = WINDOW / 8;

export interface SeqWindow {
  readonly last: number;
  readonly below: Uint8Array | null;
}

/** Nothing arrived yet. */
export const EMPTY: SeqWindow = { last: 0, below: new Uint8Array(BYTES) };

const bit = (bits: Uint8Array, i: number): boolean => (bits[i >> 3]! & (1 << (i & 7))) !== 0;
const setBit = (bits: Uint8Array, i: number): void => {
  bits[i >> 3] = bits[i >> 3]! | (1 << (i & 7));
};

/** Whether number `seq` arrived. */
export function has(w: SeqWindow, seq: number): boolean {
  if (seq >= w.last) return seq === w.last && seq > 0;
  const i = w.last - 1 - seq;
  return i >= WINDOW || w.below === null || bit(w.below, i);
}

/** `w` with `seqs` arrived; `w` itself when that changes nothing. */
export function addAll(w: SeqWindow, seqs: readonly number[]): SeqWindow {
  let top = w.last;
  for (const s of seqs) if (s > top) top = s;
  if (top === w.last && seqs.every((s) => has(w, s))) return w;
  const below = top === w.last ? w.below!.slice() : shifted(w, top - w.last);
  for (const s of seqs) {
    const i = top - 1 - s;
    if (i >= 0 && i < WINDOW) setBit(below, i);
  }
  return { last: top, below };
}

/** `w.below` moved up by `d` numbers, with `w.last` (if any) arrived. */
function shifted(w: SeqWindow, d: number): Uint8Array {
  const below = new Uint8Array(BYTES);
  const src = w.below;
  if (d < WINDOW) {
    const bytes = d >> 3;
    const bits = d & 7;
    if (src === null) for (let i = d; i < WINDOW; i++) setBit(below, i);
    else if (bits === 0) below.set(src.subarray(0, BYTES - bytes), bytes);
    else {
      for (let j = BYTES - 1; j > bytes; j--) below[j] = ((src[j - bytes]! << bits) | (src[j - bytes - 1]! >> (8 - bits))) & 0xff;
      below[bytes] = (src[0]! << bits) & 0xff;
    }
  }
  if (w.last > 0 && d - 1 < WINDOW) setBit(below, d - 1);
  return below;
}
