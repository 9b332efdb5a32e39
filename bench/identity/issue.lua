-- wrk script: POST /identity/v3/auth/tokens as the admin (password method).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"bench-admin"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}'
