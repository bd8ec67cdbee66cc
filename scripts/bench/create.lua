-- create: POST /api/v1/municipalities with a bearer token and a unique name per request,
-- "<prefix>-<thread>-<n>"; the server is expected to answer 201.
-- Arguments (after wrk's "--"): <access token> <name prefix, unique to the run>
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

local prefix
local counter = 0

function init(args)
   assert(args[1], "usage: wrk ... -s create.lua <url> -- <token> [prefix]")
   prefix = args[2] or "Bench"
   wrk.method = "POST"
   wrk.path = "/api/v1/municipalities"
   wrk.headers["Authorization"] = "Bearer " .. args[1]
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Accept"] = "application/json"
end

-- Defining request() makes wrk call it for every request (instead of sending one cached one).
function request()
   counter = counter + 1
   local body = string.format('{"name":"%s-%d-%d","kind":"town","rhine_side":"left"}',
                              prefix, thread_id, counter)
   return wrk.format(nil, nil, nil, body)
end
