-- PATCH row: a valid updateContact body that alternates the position of an
-- existing fixture contact, so each request is a real change (updated_at moves,
-- the contact is re-indexed). The same body as benchmarks/scenarios.py patch_body.
-- Usage: wrk -s patch.lua http://127.0.0.1:PORT/api/v1/crm/contacts/cont_bbbb... -- TOKEN
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
local report = dofile(here .. "report.lua")

local headers = {}
local counter = 0
local bodies = { '{"position":"課長"}', '{"position":"部長"}' }

function init(args)
  headers["Authorization"] = "Bearer " .. (args[1] or "dev-token-org-a")
  headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  return wrk.format("PATCH", nil, headers, bodies[counter % 2 + 1])
end

done = report.done
