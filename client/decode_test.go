package client

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// checkDecode holds decodeProxyResponse to json.Unmarshal's result and error.
func checkDecode(t *testing.T, body []byte) {
	t.Helper()
	var want, got ProxyResponse
	wantErr := json.Unmarshal(body, &want)
	err := decodeProxyResponse(body, &got, false)
	if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
		t.Fatalf("error %v, json.Unmarshal's %v, for %q", err, wantErr, body)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %+v, json.Unmarshal %+v, for %q", got, want, body)
	}
}

func TestDecodeProxyResponseMatchesUnmarshal(t *testing.T) {
	t.Parallel()
	big := `"` + strings.Repeat("x\\\"y ", 2000) + `"`
	for _, body := range []string{
		`{"data":{"a":[1,2,{"b":"}"}]},"status":200,"headers":{"content-type":"application/json"}}`,
		`{"status":404,"data":"plain \"text\" \\ end","headers":{"x":["1","2"]}}`,
		`{"data":` + big + `,"status":200}`,
		` { "DATA" : [ 1 , 2 ] , "status" : 201 } `,
		`{"d\u0061ta":{"k":1},"status":200}`,
		`{"data":1,"data":{"second":true},"status":200}`,
		`{"data":{"first":1},"Data":"second"}`,
		`{"data":null,"status":200}`,
		`{"status":"not a number","data":{"k":"v"}}`,
		`{"headers":7,"data":{"k":"v"},"status":200}`,
		`{"binary_data":{"url":"u","size":1},"data":{},"status":200}`,
		`{"dat":1,"datas":2,"status":200}`,
		`{"data":{"k":"v"}`,
		`[{"data":1}]`,
		`"data"`,
		`{}`,
	} {
		checkDecode(t, []byte(body))
	}
}

func FuzzDecodeProxyResponseMatchesUnmarshal(f *testing.F) {
	f.Add([]byte(`{"data":{"a":"b"},"status":200,"headers":{"x":"y"}}`))
	f.Add([]byte(`{"DaTa":[1,"]",{"}":null}],"status":-1}`))
	f.Add([]byte(`{"data":"\\\\\"","data":true}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecode(t, body)
	})
}
