/** A copy of `set` with `item` in it (`on`) or not: what a checkbox in a list of choices changes. */
export function toggled<T>(set: ReadonlySet<T>, item: T, on: boolean): Set<T> {
  const next = new Set(set);
  if (on) next.add(item);
  else next.delete(item);
  return next;
}
