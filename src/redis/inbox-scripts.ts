// The Lua scripts of the Redis inbox. Each runs as one atomic step on the server. KEYS[1] is
// the inbox's key prefix (declared as a key so that a Cluster routes the script to its slot,
// and so that a client's `keyPrefix` applies to it); every key is derived from it:
//   e:<id>        hash: the entry (the fields of ENTRY_FIELDS, plus `owner` while running)
//   keys          hash: idempotency key -> id
//   id            counter of ids
//   all, s:<status>, r:<requestId>   sorted sets of ids scored by id, for listing
//   pending       pending entries, scored by reception (the oldest pending one)
//   ready         entries due (pending, or running with an expired lease), by reception
//   delayed       pending entries not due yet, by due time
//   running       running entries, by the end of their lease
//   busy          hash: request id -> the entry that last took the request's turn, which
//                 holds the request while it runs, under a live lease or one that ran out

/**
 * The fields of an entry's hash, in the order the scripts return them (after the id).
 *
 * @internal
 */
export const ENTRY_FIELDS = [
  'key',
  'request',
  'type',
  'status',
  'attempts',
  'received',
  'next',
  'error',
  'body',
] as const;

/** How many entries a script moves between scheduling sets, or looks at, at most per run. */
const BATCH = 1000;

const PRELUDE = `
local P, call = KEYS[1], redis.call
local function E(id) return P .. 'e:' .. id end
local function get(id, field) return call('HGET', E(id), field) end
local function set(id, ...) call('HSET', E(id), ...) end
local function Z(name, score, id) call('ZADD', P .. name, score, id) end
local function R(name, id) call('ZREM', P .. name, id) end
local function now()
  local t = call('TIME')
  return t[1] * 1000 + math.floor(t[2] / 1000)
end
local function row(id)
  local r = call('HMGET', E(id), ${ENTRY_FIELDS.map((field) => `'${field}'`).join(',')})
  table.insert(r, 1, id)
  return r
end
local function move(id, from, to)
  R('s:' .. from, id)
  Z('s:' .. to, id, id)
  set(id, 'status', to)
end
local function queue(id, due, t, at)
  at = at or get(id, 'received')
  Z('pending', at, id)
  if due <= t then Z('ready', at, id) else Z('delayed', due, id) end
end
local function holder(r)
  local h = call('HGET', P .. 'busy', r)
  return h and get(h, 'status') == 'running' and h
end
`;

const script = (body: string): string => PRELUDE + body;

/**
 * ARGV: idempotency key, status, request id ('' for none), then the entry's fields as
 * name/value pairs, its reception time first. Replies `{ id, 1 }` when the key was there, `{ id, 0 }` once recorded.
 *
 * @internal
 */
export const ADD: string = script(`
local id = call('HGET', P .. 'keys', ARGV[1])
if id then return {id, 1} end
id = tostring(call('INCR', P .. 'id'))
set(id, 'key', ARGV[1], 'status', ARGV[2], 'attempts', 0, unpack(ARGV, 4))
call('HSET', P .. 'keys', ARGV[1], id)
Z('all', id, id)
Z('s:' .. ARGV[2], id, id)
if ARGV[3] ~= '' then Z('r:' .. ARGV[3], id, id) end
if ARGV[2] == 'pending' then
  local t = now()
  set(id, 'next', t)
  queue(id, t, t, ARGV[5])
end
return {id, 0}
`);

/**
 * ARGV: owner, limit, lease in milliseconds. Replies the leased entries (rows).
 *
 * @internal
 */
export const LEASE: string = script(`
local owner, limit, t = ARGV[1], tonumber(ARGV[2]), now()
local ends = t + tonumber(ARGV[3])
for _, name in ipairs({'delayed', 'running'}) do
  for _, id in ipairs(call('ZRANGEBYSCORE', P .. name, '-inf', t, 'LIMIT', 0, ${BATCH})) do
    R(name, id)
    Z('ready', get(id, 'received'), id)
  end
end
local out, taken, skipped = {}, {}, 0
while #out < limit and skipped < ${BATCH} do
  local page = call('ZRANGE', P .. 'ready', skipped, skipped + limit - #out + 9)
  if #page == 0 then break end
  for _, id in ipairs(page) do
    if #out >= limit or skipped >= ${BATCH} then break end
    local r = get(id, 'request')
    local h = r and holder(r)
    if r and (taken[r] or (h and h ~= id)) then
      skipped = skipped + 1
    else
      if r then
        taken[r] = true
        call('HSET', P .. 'busy', r, id)
      end
      R('ready', id)
      R('pending', id)
      if get(id, 'status') == 'pending' then move(id, 'pending', 'running') end
      set(id, 'owner', owner, 'next', ends)
      call('HINCRBY', E(id), 'attempts', 1)
      Z('running', ends, id)
      out[#out + 1] = row(id)
    end
  end
end
return out
`);

const HELD = `
local id = ARGV[1]
local s, o = unpack(call('HMGET', E(id), 'status', 'owner'))
if s ~= 'running' or o ~= ARGV[2] then return 0 end
local r = get(id, 'request')
`;

/**
 * ARGV: id, owner, lease in milliseconds. Replies 1 when renewed, 0 when not held: another
 * owner has it, it was settled, or its lease ran out (even when no one took it over since).
 *
 * @internal
 */
export const RENEW: string = script(`${HELD}
local t = now()
if (tonumber(get(id, 'next')) or 0) <= t then return 0 end
set(id, 'next', t + tonumber(ARGV[3]))
R('ready', id)
Z('running', t + tonumber(ARGV[3]), id)
if r and not holder(r) then call('HSET', P .. 'busy', r, id) end
return 1
`);

/**
 * ARGV: id, owner, outcome status, next attempt in ms since the epoch ('' unless pending),
 * error ('' when done). Replies 1 when settled, 0 when not held.
 *
 * @internal
 */
export const SETTLE: string = script(`${HELD}
R('running', id)
R('ready', id)
if r and call('HGET', P .. 'busy', r) == id then call('HDEL', P .. 'busy', r) end
move(id, 'running', ARGV[3])
call('HDEL', E(id), 'owner', 'next')
if ARGV[3] ~= 'done' then set(id, 'error', ARGV[5]) end
if ARGV[3] == 'pending' then
  set(id, 'next', ARGV[4])
  queue(id, tonumber(ARGV[4]), now())
end
return 1
`);

/**
 * ARGV: id. Replies the entry's row (its status nil when there is none).
 *
 * @internal
 */
export const GET: string = script('return row(ARGV[1])');

/**
 * ARGV: id, then for an invalid entry read again: its new idempotency key, request id ('' for
 * none) and new fields as name/value pairs. Replies a `ReplayResult`.
 *
 * @internal
 */
export const REPLAY: string = script(`
local id = ARGV[1]
local s = get(id, 'status')
if not s then return 'missing' end
if s == 'pending' or s == 'running' then return 'busy' end
if s == 'invalid' then
  local key = ARGV[2]
  if not key then return 'invalid' end
  local other = call('HGET', P .. 'keys', key)
  if other and other ~= id then
    move(id, s, 'done')
    set(id, 'error', 'A duplicate of entry ' .. other)
    return 'duplicate'
  end
  local old, r = unpack(call('HMGET', E(id), 'key', 'request'))
  if call('HGET', P .. 'keys', old) == id then call('HDEL', P .. 'keys', old) end
  if r then R('r:' .. r, id) end
  call('HDEL', E(id), 'request', 'type')
  set(id, 'key', key, unpack(ARGV, 4))
  call('HSET', P .. 'keys', key, id)
  if ARGV[3] ~= '' then Z('r:' .. ARGV[3], id, id) end
end
move(id, s, 'pending')
local t = now()
set(id, 'attempts', 0, 'next', t)
queue(id, t, t)
return 'replayed'
`);

/**
 * Walks the entries newest first (by id) below a cursor, in the smallest index that holds
 * every match (the request's, the status's, or all), and lists or deletes those matching the
 * filter; looks at ${BATCH} entries at most, so that no run holds the server long.
 *
 * ARGV: 'list' or 'purge', cursor (an id, '' for the newest), the most to list or delete,
 * request id, '=' and the event type, received before, received after (each '' when not
 * filtered), then the statuses (none for any). Replies `{ cursor, rows or count }`, the cursor '' once every
 * candidate was seen.
 *
 * @internal
 */
export const SCAN: string = script(`
local purge, limit, req, typ = ARGV[1] == 'purge', tonumber(ARGV[3]), ARGV[4], ARGV[5]
local before, after, want = tonumber(ARGV[6]), tonumber(ARGV[7]), {}
for i = 8, #ARGV do want[ARGV[i]] = true end
local index = req ~= '' and 'r:' .. req or #ARGV == 8 and 's:' .. ARGV[8] or 'all'
local out, n, seen, last = {}, 0, 0, ARGV[2] ~= '' and ARGV[2]
while n < limit and seen < ${BATCH} do
  local ids = call('ZREVRANGEBYSCORE', P .. index, last and '(' .. last or '+inf', '-inf', 'LIMIT', 0, 100)
  for _, id in ipairs(ids) do
    if n >= limit or seen >= ${BATCH} then break end
    seen, last = seen + 1, id
    local s, r, ty, rec, key = unpack(call('HMGET', E(id), 'status', 'request', 'type', 'received', 'key'))
    rec = tonumber(rec)
    if s and (#ARGV < 8 or want[s]) and (req == '' or r == req) and (typ == '' or ty and '=' .. ty == typ)
      and (not before or rec < before) and (not after or rec >= after)
      and not (purge and s == 'running') then
      n = n + 1
      if purge then
        call('DEL', E(id))
        if call('HGET', P .. 'keys', key) == id then call('HDEL', P .. 'keys', key) end
        for _, name in ipairs({'all', 's:' .. s, 'pending', 'ready', 'delayed'}) do R(name, id) end
        if r then R('r:' .. r, id) end
      else
        out[n] = row(id)
      end
    end
  end
  if #ids < 100 and (#ids == 0 or last == ids[#ids]) then last = '' break end
end
return {last or '', purge and n or out}
`);

/**
 * ARGV: the statuses. Replies how many entries have each, then the reception time of the
 * oldest pending one (nil when none is).
 *
 * @internal
 */
export const STATS: string = script(`
local out = {}
for i, s in ipairs(ARGV) do out[i] = call('ZCARD', P .. 's:' .. s) end
out[#out + 1] = call('ZRANGE', P .. 'pending', 0, 0, 'WITHSCORES')[2] or false
return out
`);
