"""The routing scripts about agents and housekeeping: presence, the agent profiles, due timers and
the leader lease. The key layout is described in :mod:`routing.redis_scripts`."""

from __future__ import annotations

from routing.redis_lua import PRELUDE

# ARGV: P, uid, presence, reason ('' = none), now
PRESENCE = PRELUDE + """
local a = geta(ARGV[2])
if not a then return false end
local now = tonumber(ARGV[5])
if ARGV[3] == 'available' and a.presence ~= 'available' then
  local w = num(a.wrap_until)
  if w > now then a.idle_since = w else a.idle_since = now end
  a.missed = 0
  a.unreachable = 0
end
if a.presence ~= ARGV[3] then a.presence_since = now end
a.presence = ARGV[3]
if ARGV[4] == '' then a.reason = NULL else a.reason = ARGV[4] end
puta(a)
return cjson.encode(a)
"""

# ARGV: P, json array of agent profiles, prune ('1'/'0')
UPSERT_AGENTS = PRELUDE + """
local profiles = cjson.decode(ARGV[2])
local seen = {}
local fields = {'username', 'display_name', 'extension', 'departments', 'skills', 'capacity', 'total_capacity',
                'blocks'}
for _, p in ipairs(profiles) do
  local id = tostring(p.user_id)
  seen[id] = true
  local a = geta(id)
  if not a then
    puta(p)
  else
    for _, f in ipairs(fields) do a[f] = p[f] end
    puta(a)
  end
end
if ARGV[3] == '1' then
  for _, id in ipairs(redis.call('HKEYS', P .. 'agents')) do
    if not seen[id] then
      local a = geta(id)
      local busy = not isnull(a.offer)
      for _, v in pairs(map(a.load)) do if num(v) > 0 then busy = true end end
      if not busy then dela(id) end
    end
  end
end
return #profiles
"""

# ARGV: P, now, limit
POP_DUE = PRELUDE + """
local due = redis.call('ZRANGEBYSCORE', P .. 'timers', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
if #due > 0 then redis.call('ZREM', P .. 'timers', unpack(due)) end
return due
"""

# ARGV: P, instance, ttl ms
LEAD = PRELUDE + """
local k = P .. 'lead'
local current = redis.call('GET', k)
if not current then
  redis.call('SET', k, ARGV[2], 'PX', ARGV[3])
  return 1
end
if current == ARGV[2] then
  redis.call('PEXPIRE', k, ARGV[3])
  return 1
end
return 0
"""
