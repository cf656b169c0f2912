-- POST row: a valid createContact body per request, distinct email and note
-- (the same body as benchmarks/scenarios.py post_body).
-- Usage: wrk -s post.lua http://127.0.0.1:PORT/api/v1/crm/contacts -- TOKEN
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
local report = dofile(here .. "report.lua")

local headers = {}
local counter = 0

function init(args)
  headers["Authorization"] = "Bearer " .. (args[1] or "dev-token-org-a")
  headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"first_name":"花子","last_name":"佐藤","email":"bench%d@example.com",'
      .. '"phone":"090-1234-5678","position":"部長",'
      .. '"company_id":"comp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","note":"load %d"}',
    counter, counter)
  return wrk.format("POST", nil, headers, body)
end

done = report.done
