-- wrk script: GET /identity/v3/auth/tokens validating TOKEN with itself.
local token = os.getenv("TOKEN")
wrk.method = "GET"
wrk.headers["X-Auth-Token"] = token
wrk.headers["X-Subject-Token"] = token
