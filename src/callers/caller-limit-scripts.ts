/**
 * The limiter's two Lua scripts: one admission per call, one settlement after it. Every key of one
 * caller key carries the same hash tag (`{caller:<id>}`), so both scripts touch one Redis Cluster slot.
 * The algorithm is the one in `memory-caller-limiter.ts`.
 *
 * KEYS: [1] the window, a hash: fields "<bucket>:r" (requests) and "<bucket>:t" (tokens) per one-second
 * bucket, their running sums "sum:r" and "sum:t", and "from", the oldest bucket the sums still hold;
 * [2] today's spend and [3] this month's (micro-USD strings); [4] the stream leases (a sorted set
 * scored by lapse time).
 *
 * The sums keep an admission O(1) whatever the traffic: buckets that slid out of the window are
 * subtracted and deleted when the next call comes (one a second at most under steady traffic); only a
 * refusal reads the window bucket by bucket, for its retry hint (figures in docs/callers.md,
 * `bench/limit-check-cost.ts`).
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
  local from = tonumber(redis.call('HGET', KEYS[1], 'from'))
  if from == nil or oldest - from >= count then
    redis.call('DEL', KEYS[1])
    from = oldest
  end
  local sums = redis.call('HMGET', KEYS[1], 'sum:r', 'sum:t')
  local requests, used = tonumber(sums[1] or '0'), tonumber(sums[2] or '0')
  for b = from, oldest - 1 do
    local gone = redis.call('HMGET', KEYS[1], b .. ':r', b .. ':t')
    requests = requests - tonumber(gone[1] or '0')
    used = used - tonumber(gone[2] or '0')
    redis.call('HDEL', KEYS[1], b .. ':r', b .. ':t')
  end
  requests, used = math.max(0, requests), math.max(0, used)
  local function retryAfter(suffix, total, amount, limit)
    local freed = 0
    for b = oldest, bucket do
      freed = freed + tonumber(redis.call('HGET', KEYS[1], b .. suffix) or '0')
      if total - freed + amount <= limit then return math.max(1, (b + count) * width - now) end
    end
    return count * width
  end
  local refused
  if rpm > 0 and requests + 1 > rpm then refused = {0, 'requests-per-minute', retryAfter(':r', requests, 1, rpm)}
  elseif tpm > 0 and used + tokens > tpm then refused = {0, 'tokens-per-minute', retryAfter(':t', used, tokens, tpm)} end
  if refused then
    redis.call('HSET', KEYS[1], 'from', oldest, 'sum:r', requests, 'sum:t', used)
    return refused
  end
  redis.call('HINCRBY', KEYS[1], bucket .. ':r', 1)
  if tpm > 0 then
    redis.call('HINCRBY', KEYS[1], bucket .. ':t', tokens)
    used = used + tokens
  end
  redis.call('HSET', KEYS[1], 'from', oldest, 'sum:r', requests + 1, 'sum:t', used)
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
  local reserved = tonumber(redis.call('HGET', KEYS[1], field) or '-1')
  if reserved >= 0 then
    local settled = math.max(0, reserved + delta)
    redis.call('HSET', KEYS[1], field, settled)
    local sum = tonumber(redis.call('HGET', KEYS[1], 'sum:t') or '0')
    redis.call('HSET', KEYS[1], 'sum:t', math.max(0, sum + settled - reserved))
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
