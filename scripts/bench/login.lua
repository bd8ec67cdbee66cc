-- login: POST /api/v1/auth/login with a username and password (argon2: slow on purpose).
-- Arguments (after wrk's "--"): [username] [password], by default admin / demo-password.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

local function json_string(text)
   return '"' .. text:gsub('[%c"\\]', function(c)
      return string.format("\\u%04x", c:byte())
   end) .. '"'
end

function init(args)
   local username = args[1] or "admin"
   local password = args[2] or "demo-password"
   wrk.method = "POST"
   wrk.path = "/api/v1/auth/login"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Accept"] = "application/json"
   wrk.body = '{"username":' .. json_string(username) .. ',"password":' .. json_string(password) .. '}'
end
