/**
 * Duplicate detection for declared lists (policy names, tables, secrets,
 * credentials, …): every later occurrence of a key already seen, with its
 * index, so a validator can report each one at its own path.
 */
export function duplicates<T>(
  items: readonly T[],
  key: (item: T) => string,
): { index: number; key: string; firstIndex: number }[] {
  const first = new Map<string, number>();
  const out: { index: number; key: string; firstIndex: number }[] = [];
  items.forEach((item, index) => {
    const k = key(item);
    const seen = first.get(k);
    if (seen === undefined) first.set(k, index);
    else out.push({ index, key: k, firstIndex: seen });
  });
  return out;
}
