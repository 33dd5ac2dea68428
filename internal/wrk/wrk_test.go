package wrk

import "testing"

func TestParse(t *testing.T) {
	out := "Running 1s test @ http://127.0.0.1:1\n" +
		`WRKJSON {"requests":100,"duration_us":2000000,"bytes":5,"connect":0,"read":1,"write":0,"status":3,"timeout":2,"p50_us":10,"p90_us":15,"p99_us":20,"max_us":30,"mean_us":12.5}` + "\n"
	r, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 100 || r.SocketErrors() != 3 || r.Status != 3 || r.RPS() != 50 || r.GoodRPS() != 48.5 || r.P90US != 15 || r.MeanUS != 12.5 {
		t.Errorf("got %+v", r)
	}
	if _, err := Parse("no figures"); err == nil {
		t.Error("no error without a WRKJSON line")
	}
}
