/**
 * The limiter's two Lua scripts: one admission per call, one settlement after it. Every key of one
 * caller key carries the same hash tag (`{caller:<id>}`), so both scripts touch one Redis Cluster slot.
 * The algorithm is the one in `memory-caller-limiter.ts`.
 *
 * KEYS: [1] the window (a hash; fields "<bucket>:r" requests and "<bucket>:t" tokens), [2] today's spend
 * and [3] this month's (micro-USD strings), [4] the stream leases (a sorted set scored by lapse time).
 */
import type { RedisClient } from "../state/redis-connection.js";

/**
 * ARGV: now, bucket ms, buckets, rpm (0 none), tpm (0 none), tokens, day budget µUSD (0 none), month
 * budget, max streams (0 none), lease id ('' for unary), lease until, ms to the day's end, to the
 * month's end. Returns {1, bucket} when admitted, {0, limit name, retry after ms} when not.
 */
const admit = `
local now = tonumber(ARGV[1])
local width = tonumber(ARGV[2])
local count = tonumber(ARGV[3])
local rpm = tonumber(ARGV[4])
local tpm = tonumber(ARGV[5])
local tokens = tonumber(ARGV[6])
local dayBudget = tonumber(ARGV[7])
local monthBudget = tonumber(ARGV[8])
local maxStreams = tonumber(ARGV[9])
local lease = ARGV[10]
if dayBudget > 0 and tonumber(redis.call('GET', KEYS[2]) or '0') >= dayBudget then return {0, 'daily-budget', tonumber(ARGV[12])} end
if monthBudget > 0 and tonumber(redis.call('GET', KEYS[3]) or '0') >= monthBudget then return {0, 'monthly-budget', tonumber(ARGV[13])} end
if maxStreams > 0 and lease ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
  if redis.call('ZCARD', KEYS[4]) >= maxStreams then return {0, 'concurrent-streams', 1000} end
end
local bucket = math.floor(now / width)
if rpm > 0 or tpm > 0 then
  local oldest = bucket - count + 1
  local fields = redis.call('HGETALL', KEYS[1])
  local requests, used = 0, 0
  local perBucket = {}
  local order = {}
  for i = 1, #fields, 2 do
    local separator = string.find(fields[i], ':', 1, true)
    local b = tonumber(string.sub(fields[i], 1, separator - 1))
    if b < oldest then
      redis.call('HDEL', KEYS[1], fields[i])
    else
      local value = tonumber(fields[i + 1])
      if perBucket[b] == nil then perBucket[b] = {0, 0}; table.insert(order, b) end
      if string.sub(fields[i], separator + 1) == 'r' then
        requests = requests + value
        perBucket[b][1] = perBucket[b][1] + value
      else
        used = used + value
        perBucket[b][2] = perBucket[b][2] + value
      end
    end
  end
  table.sort(order)
  local function retryAfter(index, total, amount, limit)
    local freed = 0
    for _, b in ipairs(order) do
      freed = freed + perBucket[b][index]
      if total - freed + amount <= limit then return math.max(1, (b + count) * width - now) end
    end
    return count * width
  end
  if rpm > 0 and requests + 1 > rpm then return {0, 'requests-per-minute', retryAfter(1, requests, 1, rpm)} end
  if tpm > 0 and used + tokens > tpm then return {0, 'tokens-per-minute', retryAfter(2, used, tokens, tpm)} end
  redis.call('HINCRBY', KEYS[1], bucket .. ':r', 1)
  if tpm > 0 then redis.call('HINCRBY', KEYS[1], bucket .. ':t', tokens) end
  redis.call('PEXPIRE', KEYS[1], (count + 1) * width)
end
if maxStreams > 0 and lease ~= '' then
  redis.call('ZADD', KEYS[4], tonumber(ARGV[11]), lease)
  local keep = tonumber(ARGV[11]) + 1000 - now
  if redis.call('PTTL', KEYS[4]) < keep then redis.call('PEXPIRE', KEYS[4], keep) end
end
return {1, bucket}
`;

/**
 * ARGV: bucket, token delta (real − reserved; 0 leaves it), cost µUSD (0 none), lease id ('' none),
 * day TTL ms, month TTL ms. Returns 1.
 */
const settle = `
local delta = tonumber(ARGV[2])
if delta ~= 0 then
  local field = ARGV[1] .. ':t'
  if redis.call('HEXISTS', KEYS[1], field) == 1 then
    local left = redis.call('HINCRBY', KEYS[1], field, delta)
    if left < 0 then redis.call('HSET', KEYS[1], field, 0) end
  end
end
local cost = tonumber(ARGV[3])
if cost > 0 then
  redis.call('INCRBY', KEYS[2], cost)
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[5]))
  redis.call('INCRBY', KEYS[3], cost)
  redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[6]))
end
if ARGV[4] ~= '' then redis.call('ZREM', KEYS[4], ARGV[4]) end
return 1
`;

export interface CallerLimitCommands {
  mgCallerAdmit(
    window: string,
    day: string,
    month: string,
    streams: string,
    ...argv: (string | number)[]
  ): Promise<[number, number | string, number?]>;
  mgCallerSettle(window: string, day: string, month: string, streams: string, ...argv: (string | number)[]): Promise<number>;
}

/** Registers the scripts on `client` and returns it typed with them (EVALSHA, falling back to EVAL). */
export function defineCallerLimitScripts(client: RedisClient): RedisClient & CallerLimitCommands {
  client.defineCommand("mgCallerAdmit", { numberOfKeys: 4, lua: admit });
  client.defineCommand("mgCallerSettle", { numberOfKeys: 4, lua: settle });
  return client as RedisClient & CallerLimitCommands;
}
