-- wrk script: back-to-back GETs of UNISETTLE_PATH with a bearer token (UNISETTLE_TOKEN).
local token = os.getenv("UNISETTLE_TOKEN")
local path = os.getenv("UNISETTLE_PATH")

function request()
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end

done = dofile(os.getenv("UNISETTLE_WRK_REPORT"))
