"""The Lua scripts the Redis store runs atomically on the server."""

from __future__ import annotations

__all__ = ["APPEND", "TAKE_TURN"]

# KEYS: run hash, pins hash, clock hash. ARGV: scenario, now, ttl (ms), polls per step (-1 = forever).
# Returns polls (this one included), step index, started, then each step's start time up to it.
TAKE_TURN = """
local run, name, now, ttl = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3])
if redis.call('HGET', run, 'scenario') ~= name then
  redis.call('DEL', run)
  redis.call('HSET', run, 'scenario', name, 'started', now)
end
local poll = redis.call('HINCRBY', run, 'polls', 1) - 1
local index, seen = #ARGV - 4, 0
for i = 4, #ARGV do
  local span = tonumber(ARGV[i])
  if span < 0 or poll < seen + span then
    index = i - 4
    break
  end
  seen = seen + span
end
local fields = {'started'}
for step = 0, index do
  redis.call('HSETNX', run, 't' .. step, now)
  fields[#fields + 1] = 't' .. step
end
redis.call('PEXPIRE', run, ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PEXPIRE', KEYS[3], ttl)
local out = redis.call('HMGET', run, unpack(fields))
table.insert(out, 1, tostring(index))
table.insert(out, 1, tostring(poll + 1))
return out
"""

# KEYS: journal streams (the store passes one). ARGV: cap, ttl (ms), how many entries each key
# gets, then the encoded entries, oldest first, key by key. Drops entries older than ttl by the server's
# clock, so replicas with skewed clocks agree. One call per batch: one round trip.
APPEND = """
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cap, ttl = ARGV[1], tonumber(ARGV[2])
local at = 3 + #KEYS
for k = 1, #KEYS do
  for i = at, at + tonumber(ARGV[2 + k]) - 1 do
    redis.call('XADD', KEYS[k], 'MAXLEN', cap, '*', 'e', ARGV[i])
  end
  at = at + tonumber(ARGV[2 + k])
  redis.call('XTRIM', KEYS[k], 'MINID', tostring(now_ms - ttl))
  redis.call('PEXPIRE', KEYS[k], ttl)
end
return at - 3 - #KEYS
"""
