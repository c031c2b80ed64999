-- wrk script: back-to-back checkouts, each with its own Idempotency-Key, one supplier's line.
-- Environment: UNISETTLE_TOKEN (a buyer's bearer token), UNISETTLE_GRANT.
local token = os.getenv("UNISETTLE_TOKEN")
local grant = os.getenv("UNISETTLE_GRANT")
local body = '{"grant_id":"' .. grant .. '","lines":[{"supplier_id":"SUP-004","sku":"CS-0002",'
  .. '"quantity":1,"unit_price_minor":2800}]}'
local threads = {}
local n = 0

function setup(thread)
  n = n + 1
  thread:set("id", n)
  table.insert(threads, thread)
end

function init(args)
  sent = 0
  run = tostring(os.time()) .. "-" .. tostring(math.random(1, 1e9))
end

function request()
  sent = sent + 1
  return wrk.format("POST", "/v1/checkouts", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "wrk-" .. run .. "-" .. id .. "-" .. sent,
  }, body)
end

done = dofile(os.getenv("UNISETTLE_WRK_REPORT"))
