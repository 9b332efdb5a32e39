package objectstore

import "testing"

func TestSmoke(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", acctA+"/c1", "tok-a", "")
	e.must(202, "PUT", acctA+"/c1", "tok-a", "")
	resp, _ := e.must(201, "PUT", acctA+"/c1/hello.txt", "tok-a", "hello world")
	t.Log(resp.Header)
	resp, b := e.must(200, "GET", acctA+"/c1/hello.txt", "tok-a", "")
	if b != "hello world" {
		t.Fatal(b)
	}
	t.Log(resp.Header)
	_, b = e.must(200, "GET", acctA+"/c1?format=json", "tok-a", "")
	t.Log(b)
	resp, b = e.must(200, "GET", acctA, "tok-a", "")
	t.Log(resp.Header, b)
}
