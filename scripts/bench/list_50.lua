-- list_50: GET /api/v1/organisations?limit=50&active=true with a bearer token
-- (a filtered list of up to 50 organisations).
-- Arguments (after wrk's "--"): <access token>
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

function init(args)
   assert(args[1], "usage: wrk ... -s list_50.lua <url> -- <token>")
   wrk.method = "GET"
   wrk.path = "/api/v1/organisations?limit=50&active=true"
   wrk.headers["Authorization"] = "Bearer " .. args[1]
   wrk.headers["Accept"] = "application/json"
end
