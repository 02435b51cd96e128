package main

import (
	"context"
	"encoding/base64"
	"fmt"
)

// binaryUpload forwards a base64 binary_body of -binary-bytes a few times and
// records the server's peak memory.
func (b *bench) binaryUpload(ctx context.Context) error {
	p, c, idle, err := b.startStdio("binary", nil)
	if err != nil {
		return err
	}
	data := make([]byte, b.o.binary)
	for i := range data {
		data[i] = byte(i * 7)
	}
	body := []byte(`{"toolkit_slug":"github","endpoint":"/upload","method":"POST","binary_body":{"content_type":"application/octet-stream","base64":"` +
		base64.StdEncoding.EncodeToString(data) + `"}}`)
	params := callParams(body)
	server, floor, cpu, err := b.pairs(ctx, p, c, params, body, 0, 3)
	if err != nil {
		return err
	}
	if err := b.finish("binary", p, idle, cpu/3); err != nil {
		return err
	}
	s, f := median(server), median(floor)
	b.rows = append(b.rows, row{
		measure: fmt.Sprintf("stdio, %s base64 binary_body upload, p50 of 3", sizeLabel(b.o.binary)),
		server:  ms(s),
		floor:   ms(f),
		compare: "+" + ms(s-f),
	})
	return nil
}
