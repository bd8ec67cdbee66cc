-- coverage: GET /api/v1/coverage?dimension=target_group with a bearer token: the matrix
-- municipality x target group over every demo offer, computed on each request.
-- Arguments (after wrk's "--"): <access token>
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

function init(args)
   assert(args[1], "usage: wrk ... -s coverage.lua <url> -- <token>")
   wrk.method = "GET"
   wrk.path = "/api/v1/coverage?dimension=target_group"
   wrk.headers["Authorization"] = "Bearer " .. args[1]
   wrk.headers["Accept"] = "application/json"
end
