package web

import "net/http"

// htmx request and response headers.
const (
	HeaderHXRequest  = "HX-Request"
	HeaderHXBoosted  = "HX-Boosted"
	HeaderHXRedirect = "HX-Redirect"
	// HeaderHXHistoryRestore marks the request htmx makes on Back when the page
	// is not in its history cache: it swaps the answer in as the whole body.
	HeaderHXHistoryRestore = "HX-History-Restore-Request"
)

// WantsFragment is the one place that decides fragment or full page: an htmx request
// that is not a boosted navigation, nor Back restoring a page, gets only the page's content.
func WantsFragment(r *http.Request) bool {
	return r.Header.Get(HeaderHXRequest) == "true" && r.Header.Get(HeaderHXBoosted) != "true" &&
		r.Header.Get(HeaderHXHistoryRestore) != "true"
}
