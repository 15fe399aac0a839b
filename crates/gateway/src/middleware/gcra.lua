-- One request against a GCRA limit, atomically (a script runs alone), with
-- the same arithmetic as the in-process `governor` store.
--
-- KEYS[1]  the counter: the theoretical arrival time (TAT) of the request
--          after the last one allowed, in microseconds of the server's clock
--          (one clock for every gateway, whatever their own clocks say)
-- ARGV[1]  the emission interval: window / limit, in microseconds
-- ARGV[2]  the window (the burst: `limit` requests at once), in microseconds
--
-- Returns {allowed (1 or 0), requests left, microseconds until the next
-- request would be allowed (0 when allowed)}.
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
local next_tat = tat + interval
local allowed_at = next_tat - window
if now < allowed_at then
  return {0, 0, allowed_at - now}
end
-- '%.0f': tostring would print 16-digit numbers in exponent form, losing
-- precision. The key lives exactly as long as it matters.
redis.call('SET', KEYS[1], string.format('%.0f', next_tat),
  'PX', math.ceil((next_tat - now) / 1000) + 1)
return {1, math.floor((now + window - next_tat) / interval), 0}
