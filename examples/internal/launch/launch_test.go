package launch

import (
	"context"
	"strings"
	"testing"
)

func TestTailKeepsTheEnd(t *testing.T) {
	t.Parallel()
	var b Tail
	for i := range tailKeep {
		b.Write([]byte{byte('a' + i%26)})
	}
	b.Write([]byte("the end\n"))
	got := b.String()
	if len(got) != tailKeep || !strings.HasSuffix(got, "the end\n") {
		t.Errorf("kept %d bytes ending %q; want %d ending with the last write", len(got), got[len(got)-10:], tailKeep)
	}
}

func TestSandboxCommandDropsComposioSettings(t *testing.T) {
	t.Setenv("COMPOSIO_MCP_TRANSPORT", "http")
	cmd, err := sandboxCommand(context.Background(), "true", []string{"COMPOSIO_API_KEY=x", "KEEP=1"}, []string{"--sandbox"})
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Join(cmd.Env, "\n")
	if strings.Contains(env, "COMPOSIO_") || !strings.Contains(env, "KEEP=1") {
		t.Errorf("environment:\n%s", env)
	}
	if strings.Join(cmd.Args, " ") != "true --sandbox" {
		t.Errorf("args %q", cmd.Args)
	}
}
