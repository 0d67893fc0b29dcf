package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	if got := probe(srv.URL+"/healthz", time.Second); got != 0 {
		t.Errorf("probe of a 200 answer = %d, want 0", got)
	}
	if got := probe(srv.URL+"/readyz", time.Second); got != 1 {
		t.Errorf("probe of a 503 answer = %d, want 1", got)
	}
	srv.Close()
	if got := probe(srv.URL+"/healthz", time.Second); got != 1 {
		t.Errorf("probe of a closed server = %d, want 1", got)
	}
}
