/**
 * The Lua scripts that make each shared-state change one atomic step in Redis. Each touches one key
 * (so any key works in a cluster), and ioredis runs them by EVALSHA, falling back to EVAL.
 */
import type { RedisClient } from "./redis-connection.js";

/**
 * Breaker compare-and-set. KEYS[1]: the record (a JSON string). ARGV: expected version, the new record
 * as JSON (its version already expected + 1), TTL in ms. Returns {1, new} when written, {0, current}
 * (current is "" when there is none) when another replica wrote first.
 */
const compareAndSetBreaker = `
local current = redis.call('GET', KEYS[1])
local version = 0
if current then version = cjson.decode(current).version end
if version ~= tonumber(ARGV[1]) then return {0, current or ''} end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return {1, ARGV[2]}
`;

/**
 * An outcome window as a hash of buckets: field "<bucket>:t" counts outcomes, "<bucket>:f" failures.
 * KEYS[1]: the hash. ARGV: at (ms), successes to add, failures to add, window (ms), bucket width (ms).
 * Buckets that left the window are deleted; returns {total, failures} over the buckets inside
 * (at − window, at]. Memory is bounded by the bucket count, whatever the traffic.
 */
const recordOutcome = `
local at = tonumber(ARGV[1])
local successes = tonumber(ARGV[2])
local failed = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local width = tonumber(ARGV[5])
local bucket = math.floor(at / width)
if successes + failed > 0 then
  redis.call('HINCRBY', KEYS[1], bucket .. ':t', successes + failed)
  if failed > 0 then redis.call('HINCRBY', KEYS[1], bucket .. ':f', failed) end
  redis.call('PEXPIRE', KEYS[1], window + width)
end
local oldest = math.floor((at - window) / width) + 1
local fields = redis.call('HGETALL', KEYS[1])
local total, failures = 0, 0
for i = 1, #fields, 2 do
  local separator = string.find(fields[i], ':', 1, true)
  local b = tonumber(string.sub(fields[i], 1, separator - 1))
  if b < oldest then
    redis.call('HDEL', KEYS[1], fields[i])
  elseif string.sub(fields[i], separator + 1) == 't' then
    total = total + tonumber(fields[i + 1])
  else
    failures = failures + tonumber(fields[i + 1])
  end
end
return {total, failures}
`;

/**
 * A latency series: newest first, at most ARGV[1] samples. KEYS[1]: the list. ARGV: cap, TTL ms, then
 * the samples, oldest first (at most cap of them).
 */
const recordLatency = `
redis.call('LPUSH', KEYS[1], unpack(ARGV, 3))
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[1]) - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** The scripts as commands on a client (see `defineScripts`). */
export interface ScriptCommands {
  mgCompareAndSetBreaker(key: string, expectedVersion: number, next: string, ttlMs: number): Promise<[number, string]>;
  mgRecordOutcome(key: string, at: number, successes: number, failures: number, windowMs: number, bucketMs: number): Promise<[number, number]>;
  mgRecordLatency(key: string, cap: number, ttlMs: number, ...samples: number[]): Promise<number>;
}

/** Registers the scripts on `client` and returns it typed with them. */
export function defineScripts(client: RedisClient): RedisClient & ScriptCommands {
  client.defineCommand("mgCompareAndSetBreaker", { numberOfKeys: 1, lua: compareAndSetBreaker });
  client.defineCommand("mgRecordOutcome", { numberOfKeys: 1, lua: recordOutcome });
  client.defineCommand("mgRecordLatency", { numberOfKeys: 1, lua: recordLatency });
  return client as RedisClient & ScriptCommands;
}
