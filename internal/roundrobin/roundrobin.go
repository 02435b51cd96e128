// Package roundrobin is a load balancer at its plainest: a reverse proxy
// that sends each request to the next replica in rotation, with no affinity,
// and flushes streamed answers as they come. The fleet test and the fleet
// load test stand it in front of the server's replicas to show that any
// replica answers any request.
//
//	p := roundrobin.New([]string{"127.0.0.1:8081", "127.0.0.1:8082"}, nil)
//	srv := httptest.NewServer(p) // each answer names its replica in X-Replica
//	p.Down(1)                    // as a health check would
package roundrobin

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
)

// ReplicaHeader names, on each answer, the replica that gave it: A, B, C, …
const ReplicaHeader = "X-Replica"

// Proxy is the round-robin reverse proxy. It is safe for concurrent use.
type Proxy struct {
	proxy *httputil.ReverseProxy
	addrs []string

	mu   sync.Mutex
	live []bool
	sent []int
	next int
}

// New returns a proxy over the replicas at addrs (host:port, over http),
// reached through transport; nil means http.DefaultTransport.
func New(addrs []string, transport http.RoundTripper) *Proxy {
	p := &Proxy{addrs: addrs, live: make([]bool, len(addrs)), sent: make([]int, len(addrs))}
	for i := range p.live {
		p.live[i] = true
	}
	p.proxy = &httputil.ReverseProxy{
		FlushInterval: -1,
		Transport:     transport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(&url.URL{Scheme: "http", Host: p.pick()})
			pr.Out.Host = pr.Out.URL.Host
		},
		ModifyResponse: func(resp *http.Response) error {
			resp.Header.Set(ReplicaHeader, p.name(resp.Request.URL.Host))
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.Header().Set(ReplicaHeader, p.name(r.URL.Host))
			http.Error(w, "proxy: "+err.Error(), http.StatusBadGateway)
		},
	}
	return p
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.proxy.ServeHTTP(w, r) }

// pick is the next live replica's address, and counts the request.
func (p *Proxy) pick() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range p.addrs {
		i := p.next
		p.next = (p.next + 1) % len(p.addrs)
		if p.live[i] {
			p.sent[i]++
			return p.addrs[i]
		}
	}
	return p.addrs[0]
}

// Down takes replica i out of rotation, as a load balancer's health check
// does once the replica stops answering.
func (p *Proxy) Down(i int) {
	p.mu.Lock()
	p.live[i] = false
	p.mu.Unlock()
}

// Sent is how many requests each replica was sent, in the order of addrs.
func (p *Proxy) Sent() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.sent...)
}

// Name is the letter of replica i: A, B, C, …
func Name(i int) string { return string(rune('A' + i)) }

// name is the letter of the replica at addr, "?" for none.
func (p *Proxy) name(addr string) string {
	for i, a := range p.addrs {
		if a == addr {
			return Name(i)
		}
	}
	return "?"
}
