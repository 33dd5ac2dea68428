package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
)

// corked sets TCP_CORK on the request's own socket, through the
// connection ConnContext keeps, and its returned function clears it.
func TestCorkedHoldsTheSocketUntilUncorked(t *testing.T) {
	during, after := -1, -1
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := r.Context().Value(connKey{}).(syscall.RawConn)
		if !ok {
			t.Error("ConnContext kept no socket")
			return
		}
		held := corked(r.Context())
		during = corkOf(t, raw)
		w.Write([]byte("ok"))
		uncork(held)
		after = corkOf(t, raw)
	}))
	ts.Config.ConnContext = ConnContext
	ts.Start()
	defer ts.Close()
	resp, err := http.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(body) != "ok" {
		t.Fatalf("%q, %v", body, err)
	}
	if during != 1 || after != 0 {
		t.Fatalf("TCP_CORK %d while corked and %d after; want 1 and 0", during, after)
	}
}

func corkOf(t *testing.T, raw syscall.RawConn) int {
	var v int
	var err error
	if cerr := raw.Control(func(fd uintptr) { v, err = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK) }); cerr != nil || err != nil {
		t.Errorf("getsockopt: %v, %v", cerr, err)
	}
	return v
}
