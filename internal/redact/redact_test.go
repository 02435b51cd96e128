package redact

import "testing"

func TestEndpoint(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/gmail/v1/users/me/messages?q=from:boss&maxResults=5": "/gmail/v1/users/me/messages",
		"/gmail/v1/users/me/messages?q=secret":                 "/gmail/v1/users/me/messages",
		"https://user:pw@api.github.com/user?token=x#frag":     "https://api.github.com/user",
		"/plain":                        "/plain",
		"/a?x=1&x=2":                    "/a",
		"/a?flag":                       "/a",
		"/p?QSECRET8":                   "/p",
		"/p?SECRET=1":                   "/p",
		"/p?a&&b":                       "/p",
		"/p?=x":                         "/p",
		"/p?%zz=1":                      "/p",
		"/p?&&":                         "/p",
		"/p?":                           "/p",
		"/p?a=1&SECRET&b=2;c=3;SECRET3": "/p",
		"/p?a%3DSECRET":                 "/p",
		"/p?a=1#SECRET":                 "/p",
		"/p#x?SECRET":                   "/p",
		"/p#%41SECRET":                  "/p",
		"/p?a=1#x?b&SECRET":             "/p",
		"mailto:x?SECRET":               "mailto:x",
		"%zz?q=1":                       "%zz",
		"%zz#SECRET":                    "%zz",
		"":                              "",
	} {
		if got := Endpoint(in); got != want {
			t.Errorf("Endpoint(%q) = %q, want %q", in, got, want)
		}
	}
}
