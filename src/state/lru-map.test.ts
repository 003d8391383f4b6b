import { describe, expect, it } from "vitest";
import { LruMap } from "./lru-map.js";

/** An LRU of capacity `capacity` recording what it evicts. */
function setup(capacity: number): { map: LruMap<string, number>; evicted: string[] } {
  const evicted: string[] = [];
  const map = new LruMap<string, number>(capacity, (key) => evicted.push(key));
  return { map, evicted };
}

/** Acquires and releases at once: one use of `key`. */
function use(map: LruMap<string, number>, key: string, value = 0): void {
  map.acquire(key, () => value);
  map.release(key);
}

describe("LruMap", () => {
  it("never holds more than its capacity of released entries, however many keys pass through", () => {
    const { map, evicted } = setup(3);
    for (let index = 0; index < 10_000; index += 1) use(map, `k${index}`);
    expect(map.size).toBe(3);
    expect(evicted).toHaveLength(9_997);
    expect(["k9997", "k9998", "k9999"].map((key) => map.get(key) !== undefined)).toEqual([true, true, true]);
  });

  it("evicts the least recently acquired entry and tells its owner", () => {
    const { map, evicted } = setup(2);
    use(map, "a", 1);
    use(map, "b", 2);
    use(map, "a");
    use(map, "c", 3);
    expect(evicted).toEqual(["b"]);
    expect([map.get("a"), map.get("b"), map.get("c")]).toEqual([1, undefined, 3]);
  });

  it("creates an entry once and hands back the same value on later acquires", () => {
    const { map } = setup(2);
    let created = 0;
    const first = map.acquire("a", () => (created += 1));
    const second = map.acquire("a", () => (created += 1));
    expect([first, second, created]).toEqual([1, 1, 1]);
  });

  it("passes over leased entries, and shrinks back to capacity as they are released", () => {
    const { map, evicted } = setup(2);
    map.acquire("held-1", () => 1);
    map.acquire("held-2", () => 2);
    map.acquire("held-3", () => 3);
    expect([map.size, evicted]).toEqual([3, []]);
    use(map, "passing");
    expect(evicted).toEqual(["passing"]);
    map.release("held-1");
    expect(evicted).toEqual(["passing", "held-1"]);
    map.release("held-2");
    map.release("held-3");
    expect(map.size).toBe(2);
  });

  it("keeps an entry leased twice until both leases end", () => {
    const { map, evicted } = setup(1);
    map.acquire("a", () => 1);
    map.acquire("a", () => 1);
    map.release("a");
    use(map, "b");
    expect(map.get("a")).toBe(1);
    map.release("a");
    use(map, "c");
    expect(evicted).toEqual(["b", "a"]);
  });

  it("refuses a capacity below one", () => {
    expect(() => new LruMap(0, () => undefined)).toThrow(RangeError);
  });
});
