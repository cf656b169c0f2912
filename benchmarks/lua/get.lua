-- GET rows: the URL is given on wrk's command line; this adds the token.
-- Usage: wrk -s get.lua URL -- TOKEN
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
local report = dofile(here .. "report.lua")

function init(args)
  wrk.method = "GET"
  wrk.headers["Authorization"] = "Bearer " .. (args[1] or "dev-token-org-a")
end

done = report.done
