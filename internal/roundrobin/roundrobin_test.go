package roundrobin

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Requests go to each live replica in turn, each answer names its replica,
// and a replica taken down gets no more.
func TestRotation(t *testing.T) {
	t.Parallel()
	var addrs []string
	for i := range 3 {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, i) }))
		t.Cleanup(srv.Close)
		addrs = append(addrs, strings.TrimPrefix(srv.URL, "http://"))
	}
	p := New(addrs, nil)
	lb := httptest.NewServer(p)
	t.Cleanup(lb.Close)
	get := func() (body, replica string) {
		t.Helper()
		resp, err := http.Get(lb.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), resp.Header.Get(ReplicaHeader)
	}
	var got []string
	for range 6 {
		body, replica := get()
		got = append(got, body+replica)
	}
	if strings.Join(got, " ") != "0A 1B 2C 0A 1B 2C" {
		t.Errorf("rotation: %v", got)
	}
	p.Down(1)
	got = got[:0]
	for range 4 {
		body, replica := get()
		got = append(got, body+replica)
	}
	if strings.Join(got, " ") != "0A 2C 0A 2C" {
		t.Errorf("with B down: %v", got)
	}
	if s := p.Sent(); s[0] != 4 || s[1] != 2 || s[2] != 4 {
		t.Errorf("sent %v", s)
	}
}
