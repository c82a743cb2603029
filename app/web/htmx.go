package web

import "net/http"

// htmx request and response headers.
const (
	HeaderHXRequest  = "HX-Request"
	HeaderHXBoosted  = "HX-Boosted"
	HeaderHXRedirect = "HX-Redirect"
)

// WantsFragment is the one place that decides fragment or full page: an htmx request
// that is not a boosted navigation gets only the page's content.
func WantsFragment(r *http.Request) bool {
	return r.Header.Get(HeaderHXRequest) == "true" && r.Header.Get(HeaderHXBoosted) != "true"
}
