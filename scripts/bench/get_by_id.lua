-- get_by_id: GET /api/v1/municipalities/{id} with a bearer token.
-- Arguments (after wrk's "--"): <access token> <municipality id>
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

function init(args)
   assert(args[1] and args[2], "usage: wrk ... -s get_by_id.lua <url> -- <token> <id>")
   wrk.method = "GET"
   wrk.path = "/api/v1/municipalities/" .. args[2]
   wrk.headers["Authorization"] = "Bearer " .. args[1]
   wrk.headers["Accept"] = "application/json"
end
