package composiotest

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// githubList is a page of a GitHub list, numbered by page and per_page, with
// the Link header GitHub sends.
func githubList(r corpusRequest, base string, total int, item func(int) map[string]any) *proxyResult {
	per := r.intParam("per_page", 30, 100)
	pg := r.intParam("page", 1, 1<<20)
	from, to, next := page((pg-1)*per, per, total)
	items := make([]map[string]any, 0, to-from)
	for i := from; i < to; i++ {
		items = append(items, item(i))
	}
	headers := map[string]string{}
	last := (total + per - 1) / per
	link := func(p int, rel string) string {
		return fmt.Sprintf(`<%s?per_page=%d&page=%d>; rel="%s"`, base, per, p, rel)
	}
	var links []string
	if next > 0 {
		links = append(links, link(pg+1, "next"), link(last, "last"))
	}
	if pg > 1 {
		links = append(links, link(1, "first"), link(pg-1, "prev"))
	}
	if len(links) > 0 {
		headers["link"] = strings.Join(links, ", ")
	}
	return corpusJSON(items, headers)
}

func githubUser(login string, id int) map[string]any {
	return map[string]any{
		"login": login, "id": id, "node_id": "MDQ6VXNlcj" + strconv.Itoa(id), "type": "User", "site_admin": false,
		"avatar_url": "https://avatars.githubusercontent.com/u/" + strconv.Itoa(id) + "?v=4",
		"url":        "https://api.github.com/users/" + login, "html_url": "https://github.com/" + login,
		"repos_url": "https://api.github.com/users/" + login + "/repos",
	}
}

func githubRepo(i int) map[string]any {
	r := rng(1, i)
	name := strings.ReplaceAll(words(r, 2), " ", "-") + "-" + strconv.Itoa(i)
	_, login, _ := person(r)
	full := login + "/" + name
	api := "https://api.github.com/repos/" + full
	repo := map[string]any{
		"id": 500000 + i, "node_id": "R_kgDO" + hexID(r, 8), "name": name, "full_name": full,
		"private": r.IntN(3) == 0, "owner": githubUser(login, 1000+r.IntN(9000)),
		"html_url": "https://github.com/" + full, "description": words(r, 8+r.IntN(10)), "fork": r.IntN(5) == 0,
		"url": api, "created_at": corpusTime(i*50 + 9000), "updated_at": corpusTime(i * 3), "pushed_at": corpusTime(i * 2),
		"git_url": "git://github.com/" + full + ".git", "ssh_url": "git@github.com:" + full + ".git",
		"clone_url": "https://github.com/" + full + ".git", "homepage": nil, "size": r.IntN(90000),
		"stargazers_count": r.IntN(5000), "watchers_count": r.IntN(5000), "language": []string{"Go", "TypeScript", "Python", "Rust"}[r.IntN(4)],
		"forks_count": r.IntN(300), "open_issues_count": r.IntN(80), "default_branch": "main", "visibility": "public",
		"topics": strings.Fields(words(r, 3)), "has_issues": true, "has_wiki": r.IntN(2) == 0, "archived": false,
		"license":     map[string]any{"key": "mit", "name": "MIT License", "spdx_id": "MIT"},
		"permissions": map[string]bool{"admin": true, "maintain": true, "push": true, "triage": true, "pull": true},
	}
	for _, k := range []string{"forks", "hooks", "events", "branches", "tags", "languages", "stargazers", "contributors", "commits", "issues", "pulls", "releases"} {
		repo[k+"_url"] = api + "/" + k
	}
	return repo
}

func githubIssue(i int) map[string]any {
	r := rng(2, i)
	_, login, _ := person(r)
	n := corpusIssues - i
	api := "https://api.github.com/repos/octo-org/hello-world/issues/" + strconv.Itoa(n)
	return map[string]any{
		"id": 2000000 + i, "node_id": "I_kwDO" + hexID(r, 10), "number": n, "title": words(r, 4+r.IntN(6)),
		"user": githubUser(login, 1000+r.IntN(9000)), "state": []string{"open", "closed"}[r.IntN(2)],
		"labels":   []map[string]any{{"id": 300 + r.IntN(20), "name": corpusWords[r.IntN(len(corpusWords))], "color": hexID(r, 6)}},
		"comments": r.IntN(30), "created_at": corpusTime(i * 5), "updated_at": corpusTime(i), "closed_at": nil,
		"author_association": "MEMBER", "body": words(r, 40+r.IntN(80)),
		"url": api, "html_url": "https://github.com/octo-org/hello-world/issues/" + strconv.Itoa(n),
		"comments_url": api + "/comments", "events_url": api + "/events", "labels_url": api + "/labels{/name}",
		"repository_url": "https://api.github.com/repos/octo-org/hello-world",
		"reactions":      map[string]int{"total_count": r.IntN(10), "+1": r.IntN(5), "heart": r.IntN(3)},
	}
}

func gmailList(r corpusRequest) *proxyResult {
	from, to, next := r.cursorPage("pageToken", "maxResults", 100, 500, corpusMessages)
	msgs := make([]map[string]string, 0, to-from)
	for i := from; i < to; i++ {
		id := corpusMessageID(i)
		msgs = append(msgs, map[string]string{"id": id, "threadId": corpusMessageID(i - i%3)})
	}
	data := map[string]any{"messages": msgs, "resultSizeEstimate": corpusMessages}
	if next > 0 {
		data["nextPageToken"] = corpusCursor(next)
	}
	return corpusJSON(data, nil)
}

func gmailMessage(id string) *proxyResult {
	r := rng(3, len(id)+int(id[len(id)-1]))
	name, _, email := person(r)
	var body strings.Builder
	for body.Len() < 40<<10 {
		body.WriteString(words(r, 12) + ".\r\n")
	}
	text := body.String()
	html := "<html><body><p>" + strings.ReplaceAll(text, "\r\n", "</p><p>") + "</p></body></html>"
	enc := base64.URLEncoding.EncodeToString
	headers := []map[string]string{
		{"name": "From", "value": name + " <" + email + ">"}, {"name": "To", "value": "me@example.com"},
		{"name": "Subject", "value": words(r, 6)}, {"name": "Date", "value": "Tue, 30 Jun 2026 12:00:00 +0000"},
		{"name": "Message-ID", "value": "<" + hexID(r, 24) + "@mail.example.com>"}, {"name": "MIME-Version", "value": "1.0"},
		{"name": "Content-Type", "value": `multipart/alternative; boundary="000000000000` + hexID(r, 12) + `"`},
	}
	return corpusJSON(map[string]any{
		"id": id, "threadId": id, "labelIds": []string{"INBOX", "UNREAD", "CATEGORY_UPDATES"}, "snippet": words(r, 20),
		"historyId": strconv.Itoa(9000000 + r.IntN(1000)), "internalDate": "1782820800000", "sizeEstimate": len(text) + len(html),
		"payload": map[string]any{
			"partId": "", "mimeType": "multipart/alternative", "filename": "", "headers": headers, "body": map[string]int{"size": 0},
			"parts": []map[string]any{
				{"partId": "0", "mimeType": "text/plain", "filename": "", "headers": []map[string]string{{"name": "Content-Type", "value": "text/plain; charset=UTF-8"}}, "body": map[string]any{"size": len(text), "data": enc([]byte(text))}},
				{"partId": "1", "mimeType": "text/html", "filename": "", "headers": []map[string]string{{"name": "Content-Type", "value": "text/html; charset=UTF-8"}}, "body": map[string]any{"size": len(html), "data": enc([]byte(html))}},
			},
		},
	}, nil)
}

func slackHistory(r corpusRequest) *proxyResult {
	from, to, next := r.cursorPage("cursor", "limit", 100, 999, corpusSlack)
	msgs := make([]map[string]any, 0, to-from)
	for i := from; i < to; i++ {
		g := rng(4, i)
		ts := fmt.Sprintf("%d.%06d", 1782820800-i*600, g.IntN(1000000))
		txt := words(g, 10+g.IntN(30))
		msgs = append(msgs, map[string]any{
			"type": "message", "user": "U0" + strings.ToUpper(hexID(g, 8)), "text": txt, "ts": ts, "client_msg_id": hexID(g, 8) + "-" + hexID(g, 4) + "-" + hexID(g, 12),
			"team": "T0CORPUS01", "reactions": []map[string]any{{"name": "thumbsup", "count": 1 + g.IntN(4), "users": []string{"U0" + strings.ToUpper(hexID(g, 8))}}},
			"blocks": []map[string]any{{"type": "rich_text", "block_id": hexID(g, 5), "elements": []map[string]any{{"type": "rich_text_section", "elements": []map[string]string{{"type": "text", "text": txt}}}}}},
		})
	}
	data := map[string]any{"ok": true, "messages": msgs, "has_more": next > 0, "pin_count": 2, "channel_actions_ts": nil, "channel_actions_count": 0}
	meta := map[string]string{"next_cursor": ""}
	if next > 0 {
		meta["next_cursor"] = corpusCursor(next)
	}
	data["response_metadata"] = meta
	return corpusJSON(data, nil)
}

func calendarEvents(r corpusRequest) *proxyResult {
	// Calendar's own default is 250; the fake's is smaller, so that a call
	// without maxResults (the sandbox's demo) stays a small answer.
	from, to, next := r.cursorPage("pageToken", "maxResults", 25, 2500, corpusEvents)
	items := make([]map[string]any, 0, to-from)
	for i := from; i < to; i++ {
		g := rng(5, i)
		name, _, email := person(g)
		id := hexID(g, 26)
		start := corpusTime(-i * 5)
		items = append(items, map[string]any{
			"kind": "calendar#event", "etag": `"` + strconv.Itoa(3400000000+g.IntN(99999999)) + `"`, "id": id, "status": "confirmed",
			"htmlLink": "https://www.google.com/calendar/event?eid=" + id, "created": corpusTime(i*5 + 300), "updated": corpusTime(i*5 + 200),
			"summary": words(g, 3+g.IntN(4)), "description": words(g, 4+g.IntN(10)), "location": "Room " + strconv.Itoa(100+g.IntN(400)),
			"creator": map[string]any{"email": email, "displayName": name}, "organizer": map[string]any{"email": email, "displayName": name, "self": false},
			"start": map[string]string{"dateTime": start, "timeZone": "Europe/Paris"}, "end": map[string]string{"dateTime": corpusTime(-i*5 - 1), "timeZone": "Europe/Paris"},
			"iCalUID": id + "@google.com", "sequence": 0, "eventType": "default",
			"attendees": []map[string]any{{"email": "me@example.com", "self": true, "responseStatus": "accepted"}, {"email": email, "displayName": name, "responseStatus": "needsAction"}},
			"reminders": map[string]bool{"useDefault": true},
		})
	}
	data := map[string]any{"kind": "calendar#events", "etag": `"p33c9vqk"`, "summary": "me@example.com", "updated": corpusTime(0),
		"timeZone": "Europe/Paris", "accessRole": "owner", "defaultReminders": []map[string]any{{"method": "popup", "minutes": 10}}, "items": items}
	if next > 0 {
		data["nextPageToken"] = corpusCursor(next)
	}
	return corpusJSON(data, nil)
}

func notionQuery(r corpusRequest) *proxyResult {
	per := 100
	if n, ok := r.body["page_size"].(float64); ok && n >= 1 {
		per = min(int(n), 100)
	}
	cursor, _ := r.body["start_cursor"].(string)
	from, to, next := page(corpusOffset(cursor), per, corpusPages)
	results := make([]map[string]any, 0, to-from)
	for i := from; i < to; i++ {
		g := rng(6, i)
		id := hexID(g, 8) + "-" + hexID(g, 4) + "-" + hexID(g, 4) + "-" + hexID(g, 4) + "-" + hexID(g, 12)
		title := words(g, 3+g.IntN(5))
		results = append(results, map[string]any{
			"object": "page", "id": id, "created_time": corpusTime(i*7 + 100), "last_edited_time": corpusTime(i),
			"created_by": map[string]string{"object": "user", "id": hexID(g, 32)}, "last_edited_by": map[string]string{"object": "user", "id": hexID(g, 32)},
			"cover": nil, "icon": nil, "archived": false, "in_trash": false,
			"parent": map[string]string{"type": "database_id", "database_id": corpusNotionDB},
			"url":    "https://www.notion.so/" + strings.ReplaceAll(title, " ", "-") + "-" + strings.ReplaceAll(id, "-", ""),
			"properties": map[string]any{
				"Name":   map[string]any{"id": "title", "type": "title", "title": []map[string]any{{"type": "text", "text": map[string]any{"content": title, "link": nil}, "plain_text": title, "href": nil}}},
				"Status": map[string]any{"id": "%3AbC", "type": "status", "status": map[string]string{"id": hexID(g, 4), "name": []string{"Not started", "In progress", "Done"}[g.IntN(3)], "color": "blue"}},
				"Owner":  map[string]any{"id": "Xy%7D", "type": "people", "people": []map[string]string{{"object": "user", "id": hexID(g, 32)}}},
				"Due":    map[string]any{"id": "d%3Fe", "type": "date", "date": map[string]any{"start": corpusTime(-i * 24)[:10], "end": nil, "time_zone": nil}},
				"Notes":  map[string]any{"id": "n0t3", "type": "rich_text", "rich_text": []map[string]any{{"type": "text", "text": map[string]any{"content": words(g, 15), "link": nil}, "plain_text": words(g, 15)}}},
			},
		})
	}
	data := map[string]any{"object": "list", "results": results, "next_cursor": nil, "has_more": next > 0, "type": "page_or_database", "page_or_database": map[string]any{}}
	if next > 0 {
		data["next_cursor"] = corpusCursor(next)
	}
	return corpusJSON(data, nil)
}
