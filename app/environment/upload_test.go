package environment

import (
	"bytes"
	"errors"
	"mime/multipart"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

func TestReceiveLimit(t *testing.T) {
	tests := []struct {
		name string
		size int
		want string // the field error, "" for none
	}{
		{"at the limit", 1024, ""},
		{"over the limit", 1025, "The zip is larger than 1 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := Uploads{Dir: t.TempDir(), Limit: 1024}
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			mw.WriteField("tenant_id", "t-1")
			fw, _ := mw.CreateFormFile("export", "export.zip")
			fw.Write(bytes.Repeat([]byte("x"), tt.size))
			mw.Close()
			req := httptest.NewRequest("POST", "/", &body)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			f, size, name, id, err := u.receive(bunrouter.NewRequest(req))
			if f == nil {
				t.Fatalf("no temporary file: %v", err)
			}
			defer os.Remove(f.Name())
			defer f.Close()
			if !strings.HasPrefix(f.Name(), u.Dir) {
				t.Errorf("temporary file %s is outside the data folder %s", f.Name(), u.Dir)
			}
			var fields web.FieldErrors
			switch {
			case tt.want == "" && (err != nil || size != 1024 || name != "export.zip" || id.TenantID != "t-1"):
				t.Errorf("got %d bytes of %q, %+v, %v", size, name, id, err)
			case tt.want != "" && (!errors.As(err, &fields) || !strings.Contains(fields["export"], tt.want)):
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}
