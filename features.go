package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/tools"
)

// featureConfig holds the flags of the result-shaping and safety features:
// large results, inline downloads, local uploads, dry run, confirmation.
type featureConfig struct {
	maxResultBytes   int
	resultStoreBytes int64
	resultTTL        time.Duration
	inlineImagesMax  int64
	uploadRoots      []string
	dryRun           bool
	confirmWrites    bool
}

// minResultBytes keeps --max-result-bytes from making pages so small that a
// model would need thousands of reads.
const minResultBytes = 1024

// addFeatureFlags declares the feature flags on fs.
func (c *config) addFeatureFlags(fs *flag.FlagSet) {
	f := &c.features
	fs.IntVar(&f.maxResultBytes, "max-result-bytes", tools.DefaultMaxResultBytes, "largest response returned whole in a tool result; a larger one is cut, and kept whole as an MCP resource readable in pages of this size (0: never cut)")
	fs.Int64Var(&f.resultStoreBytes, "result-store-bytes", tools.DefaultResultStoreBytes, "memory for responses kept as resources; the least recently read go first")
	fs.DurationVar(&f.resultTTL, "result-ttl", tools.DefaultResultTTL, "how long a response kept as a resource stays readable")
	fs.Int64Var(&f.inlineImagesMax, "inline-images-max", tools.DefaultInlineImagesMax, "largest binary response (image, text or JSON) downloaded and shown inline (0: never)")
	fs.Func("upload-root", "a directory whose files binary_body {\"file\": …} may upload (repeatable, or a "+string(filepath.ListSeparator)+"-separated list); without it there is no such variant", func(s string) error {
		for _, dir := range filepath.SplitList(s) {
			if dir = strings.TrimSpace(dir); dir != "" {
				f.uploadRoots = append(f.uploadRoots, dir)
			}
		}
		return nil
	})
	fs.BoolVar(&f.dryRun, "dry-run", false, "send nothing: answer each call with the exact request it would send to Composio (credentials redacted)")
	fs.BoolVar(&f.confirmWrites, "confirm-writes", false, "ask the person (MCP elicitation) before each POST, PUT, PATCH or DELETE; refuse them on clients without elicitation")
}

// validateFeatures checks the feature flags, and makes upload roots absolute
// so that a later change of working directory cannot move them.
func (c *config) validateFeatures() error {
	f := &c.features
	if f.maxResultBytes < 0 || (f.maxResultBytes > 0 && f.maxResultBytes < minResultBytes) {
		return fmt.Errorf("--max-result-bytes %d: want 0 (never cut) or at least %d", f.maxResultBytes, minResultBytes)
	}
	if f.resultStoreBytes <= 0 {
		return fmt.Errorf("--result-store-bytes %d: want a positive number of bytes", f.resultStoreBytes)
	}
	if f.resultTTL <= 0 {
		return fmt.Errorf("--result-ttl %s: want a positive duration such as 30m", f.resultTTL)
	}
	if f.inlineImagesMax < 0 {
		return fmt.Errorf("--inline-images-max %d: want 0 (never) or a number of bytes", f.inlineImagesMax)
	}
	for i, dir := range f.uploadRoots {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("--upload-root %s: %w", dir, err)
		}
		info, err := os.Stat(abs)
		if err != nil {
			return fmt.Errorf("--upload-root %s: %w", dir, err)
		}
		if !info.IsDir() {
			return fmt.Errorf("--upload-root %s: not a directory", dir)
		}
		f.uploadRoots[i] = abs
	}
	return nil
}

// resultStore returns the store of cut responses (nil when responses are
// never cut), whose resource templates the server must serve.
func (c *config) resultStore() *tools.ResultStore {
	f := c.features
	if f.maxResultBytes == 0 {
		return nil
	}
	store := tools.NewResultStore(f.resultStoreBytes, f.resultTTL)
	store.Owner = resultOwner(c)
	return store
}
