"""The Lua prelude of the routing scripts (:mod:`routing.redis_scripts`, :mod:`routing.redis_agent_scripts`):
the key helpers and the readers and writers of the contact and agent documents, small hashes and
offer maps that keep them in step (``getc`` / ``geta`` / ``putc`` / ``puta``). The claim does not use it."""

from __future__ import annotations

PRELUDE = """
local P = ARGV[1]
local NULL = cjson.null
local function isnull(v) return v == nil or v == NULL end
local function num(v) if isnull(v) then return 0 end return tonumber(v) or 0 end
local function map(t) if type(t) ~= 'table' then return {} end return t end
local function enc(t) if t then return cjson.encode(t) end return false end
local function sval(v) if isnull(v) then return '' end return tostring(v) end
local function hotc(c)
  local id = tostring(c.conversation_id)
  local d = '0'
  if c.dispatch then d = '1' end
  redis.call('HSET', P .. 'c:' .. id, 's', c.status, 'd', d, 'ch', c.channel, 'q', c.queue)
  if c.status == 'offered' then
    redis.call('HSET', P .. 'offers', id,
               sval(c.offer_id) .. '\\t' .. sval(c.offer_user) .. '\\t' .. sval(c.offer_expires))
  else
    redis.call('HDEL', P .. 'offers', id)
  end
end
local function getc(id)
  id = tostring(id)
  local r = redis.call('HGET', P .. 'contacts', id)
  if not r then return false end
  local c = cjson.decode(r)
  local o = redis.call('HGET', P .. 'offers', id)
  if o then
    local oid, uid, exp = string.match(o, '^([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)$')
    c.status = 'offered'
    c.offer_id = oid
    c.offer_user = tonumber(uid)
    c.offer_expires = tonumber(exp)
  end
  return c
end
local function putc(c)
  redis.call('HSET', P .. 'contacts', tostring(c.conversation_id), cjson.encode(c))
  hotc(c)
end
local function delc(id, now)
  id = tostring(id)
  redis.call('SET', P .. 'done:' .. id, tostring(now), 'EX', 86400)
  redis.call('HDEL', P .. 'contacts', id)
  redis.call('DEL', P .. 'c:' .. id)
  redis.call('HDEL', P .. 'offers', id)
end
local function geta(id)
  id = tostring(id)
  local r = redis.call('HGET', P .. 'agents', id)
  if not r then return false end
  local a = cjson.decode(r)
  local o = redis.call('HGET', P .. 'aoffers', id)
  if o then
    local cid, at = string.match(o, '^([^\\t]*)\\t([^\\t]*)$')
    a.offer = tonumber(cid)
    a.last_offer_at = tonumber(at)
  end
  return a
end
local function puta(a)
  local id = tostring(a.user_id)
  redis.call('HSET', P .. 'agents', id, cjson.encode(a))
  local k = P .. 'a:' .. id
  local f = {'p', sval(a.presence), 'w', tostring(num(a.wrap_until))}
  if a.wrap_hold == true then f[#f + 1] = 'h'; f[#f + 1] = '1' end
  for ch, v in pairs(map(a.load)) do f[#f + 1] = 'l:' .. ch; f[#f + 1] = tostring(num(v)) end
  for ch, v in pairs(map(a.capacity)) do f[#f + 1] = 'c:' .. ch; f[#f + 1] = tostring(num(v)) end
  -- What the claim needs for the rules across channels: the total cap ('t'), the load over all
  -- channels ('n') and, per channel a contact in hand keeps away right now, 'x:<channel>'.
  local total = 0
  for _, v in pairs(map(a.load)) do total = total + num(v) end
  f[#f + 1] = 't'; f[#f + 1] = tostring(num(a.total_capacity))
  f[#f + 1] = 'n'; f[#f + 1] = tostring(total)
  for busy, blocked in pairs(map(a.blocks)) do
    if num(map(a.load)[busy]) > 0 and type(blocked) == 'table' then
      for _, ch in ipairs(blocked) do f[#f + 1] = 'x:' .. ch; f[#f + 1] = '1' end
    end
  end
  redis.call('DEL', k)
  redis.call('HSET', k, unpack(f))
  if isnull(a.offer) then
    redis.call('HDEL', P .. 'aoffers', id)
  else
    redis.call('HSET', P .. 'aoffers', id, tostring(a.offer) .. '\\t' .. tostring(num(a.last_offer_at)))
  end
end
local function dela(id)
  id = tostring(id)
  redis.call('HDEL', P .. 'agents', id)
  redis.call('DEL', P .. 'a:' .. id)
  redis.call('HDEL', P .. 'aoffers', id)
end
local function offer_key(cid, oid, uid) return 'offer|' .. cid .. '|' .. oid .. '|' .. uid end
local function wrap_key(uid, cid) return 'wrap|' .. tostring(uid) .. '|' .. tostring(cid) end
local function answered(c, now, day)
  c.assigned_at = now
  local k = P .. 'stats:' .. day .. ':' .. c.queue
  local wait = now - num(c.enqueued_at)
  if wait < 0 then wait = 0 end
  redis.call('HINCRBY', k, 'answered', 1)
  redis.call('HINCRBYFLOAT', k, 'wait_total', wait)
  if wait <= num(c.service_level) then redis.call('HINCRBY', k, 'answered_within', 1) end
  redis.call('EXPIRE', k, 172800)
end
"""
