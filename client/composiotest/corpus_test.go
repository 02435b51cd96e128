package composiotest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// corpusCall gets one corpus answer from srv.
func corpusCall(t *testing.T, c corpusFake, a composiotest.CorpusAnswer, params ...client.Parameter) *client.ProxyResponse {
	t.Helper()
	resp, err := c.c.ProxyExecute(context.Background(), c.session, &client.ProxyRequest{
		ToolkitSlug: a.Toolkit, Endpoint: a.Endpoint, Method: a.Method, Body: a.Body, Parameters: params,
	})
	if err != nil || resp.Status != 200 {
		t.Fatalf("%s: %v %+v", a.Name, err, resp)
	}
	return resp
}

// corpusClient is a client of a fake, and its corpus session.
func corpusClient(t *testing.T) corpusFake {
	t.Helper()
	srv := composiotest.NewServer()
	t.Cleanup(srv.Close)
	c, _ := srv.Client()
	return corpusFake{c, srv.CorpusSession()}
}

// corpusFake is a client and the session that reaches every corpus toolkit.
type corpusFake struct {
	c       *client.Client
	session string
}

// TestCorpusSizesAndDeterminism: every answer is between 20 KiB and 256 KiB,
// and the same bytes each time.
func TestCorpusSizesAndDeterminism(t *testing.T) {
	t.Parallel()
	c := corpusClient(t)
	for _, a := range composiotest.Corpus() {
		one, two := corpusCall(t, c, a), corpusCall(t, c, a)
		if n := len(one.Data); n < 20<<10 || n > 256<<10 {
			t.Errorf("%s: %d bytes, want 20 KiB to 256 KiB", a.Name, n)
		}
		if !bytes.Equal(one.Data, two.Data) {
			t.Errorf("%s: differs between calls", a.Name)
		}
		if !json.Valid(one.Data) {
			t.Errorf("%s: not JSON", a.Name)
		}
	}
}

// TestCorpusPageMarkers: each list carries its API's next-page marker, and
// following it gives the next items.
func TestCorpusPageMarkers(t *testing.T) {
	t.Parallel()
	c := corpusClient(t)
	byName := map[string]composiotest.CorpusAnswer{}
	for _, a := range composiotest.Corpus() {
		byName[a.Name] = a
	}
	repos := corpusCall(t, c, byName["github repos"])
	if l := repos.Headers["link"]; !strings.Contains(l, `<https://api.github.com/user/repos?per_page=100&page=2>; rel="next"`) {
		t.Errorf("github link: %q", l)
	}
	last := corpusCall(t, c, byName["github repos"], client.Parameter{Name: "page", Value: "3", Type: "query"})
	if strings.Contains(last.Headers["link"], `rel="next"`) {
		t.Errorf("last page has a next link: %q", last.Headers["link"])
	}
	var gm struct {
		Messages      []struct{ ID string }
		NextPageToken string
	}
	_ = json.Unmarshal(corpusCall(t, c, byName["gmail messages"]).Data, &gm)
	if len(gm.Messages) != 500 || gm.NextPageToken == "" {
		t.Fatalf("gmail: %d messages, token %q", len(gm.Messages), gm.NextPageToken)
	}
	var gm2 struct{ Messages []struct{ ID string } }
	_ = json.Unmarshal(corpusCall(t, c, byName["gmail messages"], client.Parameter{Name: "pageToken", Value: gm.NextPageToken, Type: "query"}).Data, &gm2)
	if len(gm2.Messages) == 0 || gm2.Messages[0].ID == gm.Messages[0].ID {
		t.Errorf("gmail page 2 repeats page 1")
	}
	var sl struct {
		HasMore          bool `json:"has_more"`
		ResponseMetadata struct {
			NextCursor string `json:"next_cursor"`
		} `json:"response_metadata"`
	}
	_ = json.Unmarshal(corpusCall(t, c, byName["slack history"]).Data, &sl)
	if !sl.HasMore || sl.ResponseMetadata.NextCursor == "" {
		t.Errorf("slack: %+v", sl)
	}
	var no struct {
		HasMore    bool    `json:"has_more"`
		NextCursor *string `json:"next_cursor"`
	}
	_ = json.Unmarshal(corpusCall(t, c, byName["notion query"]).Data, &no)
	if !no.HasMore || no.NextCursor == nil {
		t.Errorf("notion: %+v", no)
	}
}
