package main

import (
	"context"
	"fmt"
	"io"

	"github.com/mark3labs/mcp-go/mcp"
)

// repairScenario is the call that finds slack not connected on a client that
// can show the person a link: the server asks them, inside the call, to open
// the Composio link, waits for the connection, and repeats the call.
func repairScenario() scenario {
	return scenario{
		title: "A connection that repairs itself",
		why:   "On a client with URL elicitation, a call that finds its account not connected asks the person to open the link, waits until it is connected, and repeats the call: the data comes back in the same call",
		args:  `{"toolkit_slug":"slack","endpoint":"/chat.postMessage","method":"POST","body":{"channel":"C0123","text":"Hello from MCP"}}`,
		want:  []string{"slack POST /chat.postMessage → HTTP 201"},
	}
}

// browser plays the person at a client with URL elicitation: shown a link,
// they open it (in the sandbox, opening it connects the account) and accept.
type browser struct {
	ctx context.Context
	out io.Writer
}

// Elicit implements the client's elicitation handler.
func (b *browser) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	fmt.Fprintf(b.out, "  the client shows the person (elicitation, mode %q): %s\n    %s\n", req.Params.Mode, req.Params.Message, req.Params.URL)
	fmt.Fprintf(b.out, "  the person opens the link: %s\n", openURL(b.ctx, req.Params.URL))
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept}}, nil
}
