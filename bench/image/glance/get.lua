-- wrk script for bench/image/glance.sh: GET /v2/images/{id} of an image
-- picked at random, per request, from the ids file given after "--".
--   wrk -t2 -c8 -d10s -s get.lua http://127.0.0.1:19292 -- ids.txt
local ids = {}

function init(args)
	for line in io.lines(args[1]) do
		if #line > 0 then ids[#ids + 1] = line end
	end
	if #ids == 0 then error("no ids in " .. tostring(args[1])) end
	-- Each wrk thread has its own Lua state; give each its own sequence.
	math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000003)
end

function request()
	return wrk.format("GET", "/v2/images/" .. ids[math.random(#ids)])
end
