package main

import (
	"context"
	"fmt"
	"io"

	"github.com/mark3labs/mcp-go/mcp"
)

// repairScenario is the call that finds the sandbox's googlecalendar account
// EXPIRED on a client that can show the person a link: the server asks them,
// inside the call, to open the Composio link, waits for the connection to be
// ACTIVE again, and repeats the call.
func repairScenario() scenario {
	return scenario{
		title: "A connection that repairs itself",
		why:   "The sandbox user's googlecalendar account has EXPIRED. On a client with URL elicitation, the call asks the person to open the Composio link, waits until the account is ACTIVE again, and repeats the call: the data comes back in the same call",
		args:  `{"toolkit_slug":"googlecalendar","endpoint":"/calendars/primary/events","method":"GET"}`,
		want:  []string{"googlecalendar GET /calendars/primary/events → HTTP 200"},
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
