"""The Lua script the Redis store runs atomically on the server: a poll's turn."""

from __future__ import annotations

__all__ = ["TAKE_TURN"]

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
