package web

import (
	"mime"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAttachmentDisposition(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		file     string // the name a client decodes from filename*
		fallback string // filename="…"
	}{
		{"plain", "BitLocker v1.json", "BitLocker v1.json", "BitLocker v1.json"},
		{"quotes and separators", `Say "hi" a/b\c:d*e?f<g>h|i v2.json`, "Say 'hi' a-b-c-d-e-f-g-h-i v2.json", "Say 'hi' a-b-c-d-e-f-g-h-i v2.json"},
		{"header injection", "x\r\nSet-Cookie: a=b v1.json", "x--Set-Cookie- a=b v1.json", "x--Set-Cookie- a=b v1.json"},
		{"non-ASCII", "Sécurité 🔒 v3.json", "Sécurité 🔒 v3.json", "S_curit_ _ v3.json"},
		{"invalid UTF-8", "bad\xff\xfe v1.json", "bad_ v1.json", "bad_ v1.json"},
		{"10 KB name", strings.Repeat("A", 10_000) + " v1.json", strings.Repeat("A", 95) + ".json", strings.Repeat("A", 95) + ".json"},
		{"10 KB of 3-byte characters", strings.Repeat("€", 3_400) + " v1.json", strings.Repeat("€", 31) + ".json", strings.Repeat("_", 31) + ".json"},
		{"long name without extension", strings.Repeat("ab.", 50) + strings.Repeat("x", 30), strings.Repeat("ab.", 33) + "a", strings.Repeat("ab.", 33) + "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := AttachmentDisposition(tt.in)
			if strings.ContainsAny(header, "\r\n") || !utf8.ValidString(header) || len(header) > 100+3*100+50 {
				t.Fatalf("header %q", header)
			}
			for _, r := range header {
				if r >= utf8.RuneSelf {
					t.Fatalf("header holds non-ASCII %q", header)
				}
			}
			kind, params, err := mime.ParseMediaType(header)
			if err != nil || kind != "attachment" {
				t.Fatalf("ParseMediaType(%q) = %q, %v", header, kind, err)
			}
			if got := params["filename"]; got != tt.file || len(got) > 100 {
				t.Errorf("filename* decodes to %q (%d bytes), want %q", got, len(got), tt.file)
			}
			if !strings.Contains(header, `filename="`+tt.fallback+`";`) {
				t.Errorf("header %q lacks the fallback %q", header, tt.fallback)
			}
		})
	}
}
