-- random_path: GET or POST one of several paths, chosen at random per request, with a bearer
-- token and (for POST) a fixed JSON body. Used by scripts/bench/casework.sh, e.g. for
-- `GET /cases/{id}` over a case manager's own cases.
-- Arguments (after wrk's "--"): <access token> <file with one path per line> [method] [body file]
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

local paths = {}
local body

function init(args)
   assert(args[1] and args[2], "usage: wrk ... -s random_path.lua <url> -- <token> <paths> [method] [body]")
   for line in io.lines(args[2]) do
      if line ~= "" then table.insert(paths, line) end
   end
   assert(#paths > 0, "no paths in " .. args[2])
   wrk.method = args[3] or "GET"
   if args[4] then
      local f = assert(io.open(args[4]))
      body = f:read("*a")
      f:close()
      wrk.headers["Content-Type"] = "application/json"
   end
   wrk.headers["Authorization"] = "Bearer " .. args[1]
   wrk.headers["Accept"] = "application/json"
   -- Different threads draw different sequences.
   math.randomseed(os.time() + (thread_id or 0) * 7919)
end

function request()
   return wrk.format(nil, paths[math.random(#paths)], nil, body)
end
