-- create_submit.lua -- wrk script for tests/bench/run.sh: students create
-- and submit applications, as fast as the pool allows.
--
--   wrk ... -s create_submit.lua URL -- TOKENS PERIODS THREADS
--     TOKENS   a file of "user_id token" lines (scholarshipctl seed-load --tokens)
--     PERIODS  comma-separated ids of open periods with no rules, no form
--              fields and no terms document, where these students have no
--              application yet
--     THREADS  wrk's -t (each thread takes every THREADS-th pair)
--
-- Each request is either POST /api/v1/applications for the next unused
-- (student, period) pair -- students vary fastest, so consecutive creates
-- come from different students -- or, when a create of this thread has
-- answered 201, POST /api/v1/applications/{id}/submit with the creator's
-- token (the create's answer names its user_id). A pair is never used
-- twice, so every 409 or 422 is a real failure. When every pair is used,
-- the thread sends GET /health and counts it as "exhausted": give more
-- periods. done() prints one line the bench parses:
--   create-submit: creates C submits S failed F exhausted E seconds D

local counter = 0
local threads = {}

function setup(thread)
	thread:set("tid", counter)
	counter = counter + 1
	table.insert(threads, thread)
end

function init(args)
	local file, plist, nthreads = args[1], args[2], tonumber(args[3])
	tokens, bytoken, periods, queue = {}, {}, {}, {}
	for line in io.lines(file) do
		local uid, tok = line:match("^(%S+) (%S+)$")
		if uid then
			tokens[#tokens + 1] = tok
			bytoken[uid] = tok
		end
	end
	for p in string.gmatch(plist, "[^,]+") do
		periods[#periods + 1] = p
	end
	step = nthreads
	k = tid
	creates, submits, failed, exhausted = 0, 0, 0, 0
end

function request()
	local job = table.remove(queue)
	if job then
		return wrk.format("POST", "/api/v1/applications/" .. job.id .. "/submit",
			{ ["Authorization"] = "Bearer " .. job.tok }, nil)
	end
	local ti, pi = k % #tokens + 1, math.floor(k / #tokens) + 1
	if pi > #periods then
		exhausted = exhausted + 1
		return wrk.format("GET", "/health")
	end
	k = k + step
	return wrk.format("POST", "/api/v1/applications",
		{ ["Authorization"] = "Bearer " .. tokens[ti], ["Content-Type"] = "application/json" },
		'{"period_id":"' .. periods[pi] .. '","sub_types":["general"]}')
end

function response(status, headers, body)
	if status == 201 then
		local id = body:match('"id"%s*:%s*"([%x%-]+)"')
		local uid = body:match('"user_id"%s*:%s*"([%x%-]+)"')
		creates = creates + 1
		if id and uid and bytoken[uid] then
			table.insert(queue, { id = id, tok = bytoken[uid] })
		end
	elseif status == 200 and body:match('"status"%s*:%s*"submitted"') then
		submits = submits + 1
	elseif status ~= 200 then
		failed = failed + 1
	end
end

function done(summary, latency, requests)
	local c, s, f, e = 0, 0, 0, 0
	for _, t in ipairs(threads) do
		c = c + t:get("creates")
		s = s + t:get("submits")
		f = f + t:get("failed")
		e = e + t:get("exhausted")
	end
	io.write(string.format("create-submit: creates %d submits %d failed %d exhausted %d seconds %.3f\n",
		c, s, f, e, summary.duration / 1e6))
end
