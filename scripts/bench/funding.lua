-- funding: GET /api/v1/funding?year=2021 with a bearer token: the year's funding overview,
-- computed from every position's phase history and the rates on each request.
-- Arguments (after wrk's "--"): <access token>
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

function init(args)
   assert(args[1], "usage: wrk ... -s funding.lua <url> -- <token>")
   wrk.method = "GET"
   wrk.path = "/api/v1/funding?year=2021"
   wrk.headers["Authorization"] = "Bearer " .. args[1]
   wrk.headers["Accept"] = "application/json"
end
