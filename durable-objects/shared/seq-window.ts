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
  const fresh = seqs.filter((s) => s < top && !has(w, s));
  if (top === w.last && fresh.length === 0) return w;
  const below = top === w.last ? w.below!.slice() : shifted(w, top - w.last);
  for (const s of fresh) if (top - 1 - s < WINDOW) setBit(below, top - 1 - s);
  return { last: top, below };
}

/** `w.below` moved up by `d` numbers, with `w.last` (if any) arrived. */
function shifted(w: SeqWindow, d: number): Uint8Array {
  const below = new Uint8Array(BYTES);
  if (d < WINDOW) {
    const bytes = d >> 3;
    const bits = d & 7;
    const old = (j: number): number => (j < 0 ? 0 : w.below === null ? 0xff : w.below[j]!);
    for (let j = BYTES - 1; j >= bytes; j--) {
      const src = j - bytes;
      below[j] = ((old(src) << bits) | (bits === 0 ? 0 : old(src - 1) >> (8 - bits))) & 0xff;
    }
  }
  if (w.last > 0 && d - 1 < WINDOW) setBit(below, d - 1);
  return below;
}
