"""The Lua scripts behind :class:`routing.redis_reservations.RedisReservations`.

Each script is one atomic step on the shared routing state, mirroring the same step of
:class:`routing.reservations.MemoryReservations` line for line. ``ARGV[1]`` is always the key
prefix. Keys are built inside the scripts, which is fine for a single Redis (or a primary with
replicas) and not meant for Redis Cluster. The layout:

* ``contacts`` / ``agents``: hashes of JSON documents (``ContactState`` / ``AgentState``
  ``to_dict()``), the whole state of each contact and agent except what a claim changes;
* ``c:<id>``: a small hash per contact with what a claim reads: status (``s``: waiting or
  assigned; a pending offer is in ``offers``), dispatch (``d``), channel (``ch``), queue (``q``);
* ``a:<id>``: a small hash per agent with what a claim reads: presence (``p``), wrap-up end
  (``w``; ``h`` while a required outcome is missing), load and capacity per channel
  (``l:<channel>``, ``c:<channel>``), and for the rules across channels
  (:func:`routing.selection.has_room`) the total capacity (``t``, 0: none), the load over all
  channels (``n``) and ``x:<channel>`` on each channel that a contact in hand keeps away (``blocks``);
  ``puta`` derives them whenever it writes the agent, so the claim decides
  exactly as the in-process store does without reading the document;
* ``offers`` (contact id -> offer id, agent, expiry) and ``aoffers`` (agent id -> contact id,
  when offered): the pending offers. A claim reads the small hashes and writes only these two
  (HSETNX: an entry already there means a pending offer), so it decodes and encodes no JSON;
  readers lay ``offers`` / ``aoffers`` over the documents (``getc`` / ``geta`` here,
  ``RedisReservations`` in Python), and every other step writes the document, the small hash
  and the offer map together (``putc`` / ``puta``), which keeps them in step;
* ``q:<queue>``: waiting contacts per queue (score: rank); ``timers``: due times.
"""

from __future__ import annotations

from routing.redis_lua import PRELUDE

# A waiting contact's document is stored as sent and only its hot fields are written, so the
# common case decodes no JSON; any other status (adopted after a restart) goes through putc.
# A contact that ended (done:<id>, set by delc) at or after *not before* (the time of the event
# that asked for this routing) is not tracked again: the event is late or a duplicate.
# ARGV: P, cid, contact json, status, dispatch ('1'/'0'), channel, queue, rank, not before ('' for
# no check), n timers, (key, at) * n
ENQUEUE = PRELUDE + """
local cid = ARGV[2]
if redis.call('HEXISTS', P .. 'contacts', cid) == 1 then return 0 end
if ARGV[9] ~= '' then
  local ended = redis.call('GET', P .. 'done:' .. cid)
  if ended and tonumber(ended) >= tonumber(ARGV[9]) then return 0 end
end
redis.call('SADD', P .. 'queues', ARGV[7])
if ARGV[4] == 'waiting' then
  redis.call('HSET', P .. 'contacts', cid, ARGV[3])
  redis.call('HSET', P .. 'c:' .. cid, 's', 'waiting', 'd', ARGV[5], 'ch', ARGV[6], 'q', ARGV[7])
  if ARGV[5] == '1' then redis.call('ZADD', P .. 'q:' .. ARGV[7], ARGV[8], cid) end
else
  local c = cjson.decode(ARGV[3])
  putc(c)
  if c.status == 'assigned' and not isnull(c.user_id) then
    local a = geta(c.user_id)
    if a then
      a.load = map(a.load)
      a.load[c.channel] = num(a.load[c.channel]) + 1
      puta(a)
    end
  end
end
for i = 0, tonumber(ARGV[10]) - 1 do
  redis.call('ZADD', P .. 'timers', ARGV[12 + 2 * i], ARGV[11 + 2 * i])
end
return 1
"""

# ARGV: P, limit per queue
WAITING = PRELUDE + """
local out = {}
for _, q in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
  local ids = redis.call('ZRANGE', P .. 'q:' .. q, 0, tonumber(ARGV[2]) - 1)
  if #ids > 0 then
    local rows = redis.call('HMGET', P .. 'contacts', unpack(ids))
    for i = 1, #ids do
      if rows[i] then table.insert(out, rows[i]) else redis.call('ZREM', P .. 'q:' .. q, ids[i]) end
    end
  end
end
return out
"""

# The hot path: no prelude (defining closures costs time on every call) and no JSON. It reads
# the small hashes, and HSETNX on the offer maps both checks that neither the contact nor the
# agent has a pending offer and records the new one (undone if the agent's check fails).
# The arguments travel packed in one string (one value for the client to encode instead of six).
# ARGV: P, 'cid<TAB>uid<TAB>offer id<TAB>now<TAB>expires at<TAB>force' (force '1' also claims a
# contact the router does not dispatch) -> 0, or '<channel><TAB><agent's load on it><TAB><wrap-up
# end>' as read, when it succeeds
CLAIM = """
local P = ARGV[1]
local cid, suid, oid, snow, sexp, force = string.match(ARGV[2],
  '^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$')
local c = redis.call('HMGET', P .. 'c:' .. cid, 's', 'd', 'ch', 'q')
if c[1] ~= 'waiting' or (c[2] ~= '1' and force ~= '1') then return 0 end
local a = redis.call('HMGET', P .. 'a:' .. suid, 'p', 'w', 'l:' .. c[3], 'c:' .. c[3], 't', 'n', 'x:' .. c[3], 'h')
local load, total = tonumber(a[3]) or 0, tonumber(a[5]) or 0
if a[1] ~= 'available' or (tonumber(a[2]) or 0) > tonumber(snow) or load >= (tonumber(a[4]) or 0)
   or (total > 0 and (tonumber(a[6]) or 0) >= total) or a[7] or a[8] then
  return 0
end
if redis.call('HSETNX', P .. 'offers', cid, oid .. '\t' .. suid .. '\t' .. sexp) == 0 then return 0 end
if redis.call('HSETNX', P .. 'aoffers', suid, cid .. '\t' .. snow) == 0 then
  redis.call('HDEL', P .. 'offers', cid)
  return 0
end
redis.call('ZREM', P .. 'q:' .. c[4], cid)
redis.call('ZADD', P .. 'timers', sexp, 'offer|' .. cid .. '|' .. oid .. '|' .. suid)
return c[3] .. '\t' .. load .. '\t' .. (a[2] or '0')
"""

# ARGV: P, cid, uid, offer id, now, day
ACCEPT = PRELUDE + """
local cid, uid, now = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[5])
local c = getc(cid)
if not c or c.status ~= 'offered' or c.offer_id ~= ARGV[4] or num(c.offer_user) ~= uid then
  return {0, enc(c), enc(geta(uid))}
end
redis.call('ZREM', P .. 'timers', offer_key(cid, ARGV[4], ARGV[3]))
c.status = 'assigned'
c.user_id = uid
c.offer_id = NULL
c.offer_user = NULL
local a = geta(uid)
if a then
  a.offer = NULL
  a.missed = 0
  a.unreachable = 0
  a.last_offer = 'accepted'
  a.load = map(a.load)
  a.load[c.channel] = num(a.load[c.channel]) + 1
  puta(a)
end
answered(c, now, ARGV[6])
putc(c)
return {1, cjson.encode(c), enc(a)}
"""

# ARGV: P, cid, uid, offer id, now, timed out ('1'/'0'), autopause after, reachable ('1'/'0')
DECLINE = PRELUDE + """
local cid, uid, now = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[5])
local c = getc(cid)
if not c or c.status ~= 'offered' or c.offer_id ~= ARGV[4] or num(c.offer_user) ~= uid then
  return {0, enc(c), enc(geta(uid)), 0}
end
redis.call('ZREM', P .. 'timers', offer_key(cid, ARGV[4], ARGV[3]))
c.status = 'waiting'
c.offer_id = NULL
c.offer_user = NULL
c.offer_expires = 0
c.declined = map(c.declined)
c.declined[ARGV[3]] = now
if c.dispatch then redis.call('ZADD', P .. 'q:' .. c.queue, c.rank, cid) end
local a, paused = geta(uid), 0
if a then
  a.offer = NULL
  if ARGV[6] ~= '1' then
    a.last_offer = 'rejected'
  elseif ARGV[8] ~= '1' then
    a.last_offer = 'unreachable'
    a.unreachable = num(a.unreachable) + 1
  else
    a.last_offer = 'ignored'
    a.missed = num(a.missed) + 1
    local limit = tonumber(ARGV[7])
    if limit > 0 and a.missed >= limit and a.presence == 'available' then
      a.presence = 'away'
      a.reason = 'autopause'
      paused = 1
    end
  end
  puta(a)
end
putc(c)
return {1, cjson.encode(c), enc(a), paused}
"""

# ARGV: P, cid, uid ('' when nobody known answered), now, day
ASSIGN = PRELUDE + """
local cid, now = ARGV[2], tonumber(ARGV[4])
local uid = tonumber(ARGV[3])
local c = getc(cid)
if not c or c.status == 'assigned' then return {0, enc(c), false, false} end
local other = false
if c.status == 'offered' and not isnull(c.offer_user) then
  redis.call('ZREM', P .. 'timers', offer_key(cid, c.offer_id, c.offer_user))
  local holder = geta(c.offer_user)
  if holder and num(holder.offer) == tonumber(cid) then
    holder.offer = NULL
    puta(holder)
  end
  if holder and num(c.offer_user) ~= uid then other = holder end
end
redis.call('ZREM', P .. 'q:' .. c.queue, cid)
answered(c, now, ARGV[5])
c.offer_id = NULL
c.offer_user = NULL
local a = false
if uid then a = geta(uid) end
if not a then
  delc(cid, now)
  return {1, cjson.encode(c), false, enc(other)}
end
c.status = 'assigned'
c.user_id = uid
a.load = map(a.load)
a.load[c.channel] = num(a.load[c.channel]) + 1
a.missed = 0
puta(a)
putc(c)
return {1, cjson.encode(c), cjson.encode(a), enc(other)}
"""

# ARGV: P, cid, now, wrap-up seconds, hold until an outcome ('1'/'0')
FINISH = PRELUDE + """
local cid, now, wrap = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local c = getc(cid)
if not c or c.status ~= 'assigned' then return {0, enc(c), false} end
delc(cid, now)
local a = false
if not isnull(c.user_id) then a = geta(c.user_id) end
if a then
  a.load = map(a.load)
  local left = num(a.load[c.channel]) - 1
  if left < 0 then left = 0 end
  a.load[c.channel] = left
  if wrap > 0 or ARGV[5] == '1' then
    if now + wrap > num(a.wrap_until) then a.wrap_until = now + wrap end
    a.wrap_conversation = tonumber(cid)
    a.wrap_hold = ARGV[5] == '1'
    redis.call('ZADD', P .. 'timers', a.wrap_until, wrap_key(a.user_id, cid))
  end
  if num(a.wrap_until) > now then a.idle_since = num(a.wrap_until) else a.idle_since = now end
  puta(a)
end
return {1, cjson.encode(c), enc(a)}
"""

# routing.wrapup.wrap_ends, then the end of the wrap-up.
# ARGV: P, uid, cid, now, outcome chosen ('1'/'0')
END_WRAP = PRELUDE + """
local now = tonumber(ARGV[4])
local a = geta(ARGV[2])
if not a or num(a.wrap_conversation) ~= tonumber(ARGV[3]) then return {0, enc(a)} end
if ARGV[5] ~= '1' and (a.wrap_hold == true or num(a.wrap_until) > now) then return {0, enc(a)} end
redis.call('ZREM', P .. 'timers', wrap_key(ARGV[2], ARGV[3]))
if num(a.wrap_until) > now then a.wrap_until = now end
a.wrap_conversation = NULL
a.wrap_hold = false
a.idle_since = now
puta(a)
return {1, cjson.encode(a)}
"""

# routing.wrapup.extended_until. ARGV: P, uid, cid, seconds, now, most one extension adds, most from now
EXTEND_WRAP = PRELUDE + """
local now, more = tonumber(ARGV[5]), tonumber(ARGV[4])
local a = geta(ARGV[2])
if not a or num(a.wrap_conversation) ~= tonumber(ARGV[3]) then return {0, enc(a)} end
if more < 0 then more = 0 end
if more > tonumber(ARGV[6]) then more = tonumber(ARGV[6]) end
local until_ = num(a.wrap_until)
if until_ < now then until_ = now end
until_ = until_ + more
if until_ > now + tonumber(ARGV[7]) then until_ = now + tonumber(ARGV[7]) end
a.wrap_until = until_
a.idle_since = until_
redis.call('ZADD', P .. 'timers', until_, wrap_key(ARGV[2], ARGV[3]))
puta(a)
return {1, cjson.encode(a)}
"""
# ARGV: P, cid, now, day
ABANDON = PRELUDE + """
local cid = ARGV[2]
local c = getc(cid)
if not c or c.status == 'assigned' then return {0, enc(c), false} end
delc(cid, ARGV[3])
redis.call('ZREM', P .. 'q:' .. c.queue, cid)
local k = P .. 'stats:' .. ARGV[4] .. ':' .. c.queue
redis.call('HINCRBY', k, 'abandoned', 1)
redis.call('EXPIRE', k, 172800)
local a = false
if c.status == 'offered' and not isnull(c.offer_user) then
  redis.call('ZREM', P .. 'timers', offer_key(cid, c.offer_id, c.offer_user))
  a = geta(c.offer_user)
  if a and num(a.offer) == tonumber(cid) then
    a.offer = NULL
    puta(a)
  end
end
return {1, cjson.encode(c), enc(a)}
"""

# ARGV: P, cid, new contact json, the queue it must still wait in
MOVE = PRELUDE + """
local c = getc(ARGV[2])
if not c or c.status ~= 'waiting' or c.queue ~= ARGV[4] then return 0 end
redis.call('ZREM', P .. 'q:' .. c.queue, ARGV[2])
redis.call('HSET', P .. 'contacts', ARGV[2], ARGV[3])
local n = cjson.decode(ARGV[3])
hotc(n)
redis.call('SADD', P .. 'queues', n.queue)
if n.dispatch then redis.call('ZADD', P .. 'q:' .. n.queue, ARGV[5], ARGV[2]) end
return 1
"""
