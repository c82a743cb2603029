package web

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync"
	"text/template/parse"
)

// Page is what every page's data embeds: the frame around the content.
type Page struct {
	Title   string
	Crumbs  []Crumb
	Section string // the sidebar entry that is current
	Frame   *Frame
	Flashes []Flash
	Path    string
}

// Base lets Render fill the shared part of any page struct that embeds Page.
func (p *Page) Base() *Page { return p }

// Crumb is one breadcrumb; the last has no URL.
type Crumb struct{ Name, URL string }

// Frame is the signed-in person's current context, shown in the header and sidebar.
type Frame struct {
	UserName     string
	UserEmail    string
	SiteAdmin    bool // sees the users page and may create workspaces
	Workspace    *Choice
	Workspaces   []Choice
	Environment  *Choice
	Environments []Choice
	// Why the person may not take an action needing a capability ("workspace.manage")
	// in the current workspace or environment, "" when they may: the access
	// package's answer, so the sidebar shows a refusal disabled, never as a link.
	WorkspaceWhy, EnvironmentWhy func(capability string) string
}

// Choice is one entry of a switcher.
type Choice struct {
	Name    string
	Slug    string
	URL     string
	Current bool
}

type frameKey struct{}

// WithFrame stores the request's frame; the access middleware builds it.
func WithFrame(ctx context.Context, f *Frame) context.Context {
	return context.WithValue(ctx, frameKey{}, f)
}

// Pager is any page data: a struct embedding Page.
type Pager interface{ Base() *Page }

// Views holds every template, parsed once at start-up.
type Views struct {
	pages  map[string]func() (*template.Template, error) // a page's template set, put together at its first use
	Assets *Assets                                       // the static files, whose URLs the templates take from {{asset "name"}}
}

// NewViews parses templates/layout.html, every partial (a file whose name starts
// with _) and each page. A page that references a missing template fails here.
// A page's set (the layout and partials cloned, and the page's own templates)
// is put together when the page is first rendered: cloning them for every page
// was most of Atlas's start-up (issue 13).
func NewViews(assets fs.FS) (*Views, error) {
	var pages, partials []string
	err := fs.WalkDir(assets, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".html" || p == "templates/layout.html" {
			return err
		}
		if strings.HasPrefix(path.Base(p), "_") {
			partials = append(partials, p)
		} else {
			pages = append(pages, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	static, err := NewAssets(assets)
	if err != nil {
		return nil, err
	}
	parse := func(name string, files ...string) (*template.Template, error) {
		return template.New(name).Funcs(funcs).Funcs(template.FuncMap{"asset": static.URL}).ParseFS(assets, files...)
	}
	base, err := parse("layout.html", append([]string{"templates/layout.html"}, partials...)...)
	if err != nil {
		return nil, fmt.Errorf("parse layout and partials: %w", err)
	}
	baseCalls := calledBy(base)
	v := &Views{pages: map[string]func() (*template.Template, error){}, Assets: static}
	for _, p := range pages {
		own, err := parse(path.Base(p), p)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", p, err)
		}
		if err := checkTemplates(base, baseCalls, own); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".html")
		v.pages[name] = sync.OnceValues(func() (*template.Template, error) {
			set, err := base.Clone()
			if err != nil {
				return nil, err
			}
			for _, t := range own.Templates() {
				if t.Tree == nil {
					continue
				}
				if _, err := set.AddParseTree(t.Name(), t.Tree); err != nil {
					return nil, err
				}
			}
			return set, nil
		})
	}
	return v, nil
}

// checkTemplates reports a {{template "x"}} call, in the layout, a partial or
// the page, whose target neither defines; baseCalls are the layout's and the
// partials' calls (by caller), the same for every page.
func checkTemplates(base *template.Template, baseCalls map[string][]string, page *template.Template) error {
	for _, calls := range []map[string][]string{baseCalls, calledBy(page)} {
		for caller, names := range calls {
			for _, name := range names {
				if base.Lookup(name) == nil && page.Lookup(name) == nil {
					return fmt.Errorf("template %q calls undefined template %q", caller, name)
				}
			}
		}
	}
	return nil
}

// calledBy maps each template of set that calls others to the names it calls.
func calledBy(set *template.Template) map[string][]string {
	calls := map[string][]string{}
	for _, d := range set.Templates() {
		if d.Tree != nil {
			calls[d.Name()] = templateCalls(d.Tree.Root, nil)
		}
	}
	return calls
}

// templateCalls appends the names of the templates that node calls to names.
func templateCalls(node parse.Node, names []string) []string {
	switch n := node.(type) {
	case *parse.TemplateNode:
		names = append(names, n.Name)
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				names = templateCalls(c, names)
			}
		}
	case *parse.IfNode:
		names = templateCalls(n.ElseList, templateCalls(n.List, names))
	case *parse.RangeNode:
		names = templateCalls(n.ElseList, templateCalls(n.List, names))
	case *parse.WithNode:
		names = templateCalls(n.ElseList, templateCalls(n.List, names))
	}
	return names
}

// page is page name's template set.
func (v *Views) page(name string) (*template.Template, error) {
	set, ok := v.pages[name]
	if !ok {
		return nil, fmt.Errorf("no page template %q", name)
	}
	return set()
}

// Render writes page name with data: the whole page, or only its content for an
// htmx request that is not a boosted navigation.
func (v *Views) Render(w http.ResponseWriter, r *http.Request, status int, name string, data Pager) error {
	t, err := v.page(name)
	if err != nil {
		return err
	}
	p := data.Base()
	p.Frame = FrameFrom(r.Context())
	p.Path = r.URL.Path
	sess := SessionFrom(r.Context())
	p.Flashes = sess.popFlashes()
	block := "layout"
	if WantsFragment(r) {
		block = "main"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	if err := sess.save(w, r); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err = w.Write(buf.Bytes())
	return err
}

// Partial renders one named template of a page (e.g. a polled progress fragment).
func (v *Views) Partial(w http.ResponseWriter, r *http.Request, page, block string, data any) error {
	t, err := v.page(page)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, data); err != nil {
		return fmt.Errorf("render %s/%s: %w", page, block, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err = w.Write(buf.Bytes())
	return err
}

// HTML renders one named template of a page into HTML that another page embeds
// (a domain's section of a run's page).
func (v *Views) HTML(page, block string, data any) (template.HTML, error) {
	t, err := v.page(page)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, data); err != nil {
		return "", fmt.Errorf("render %s/%s: %w", page, block, err)
	}
	return template.HTML(buf.String()), nil
}

// Redirect ends a successful POST (303 See Other), with a flash when message is set.
// htmx requests get HX-Redirect so the whole frame (switchers, sidebar) reloads.
func Redirect(w http.ResponseWriter, r *http.Request, url, message string) error {
	sess := SessionFrom(r.Context())
	if message != "" {
		sess.AddFlash("success", message)
	}
	if err := sess.save(w, r); err != nil {
		return err
	}
	if r.Header.Get(HeaderHXRequest) == "true" {
		w.Header().Set(HeaderHXRedirect, url)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
	return nil
}

// errorPage is the data of templates/error.html.
type errorPage struct {
	Page
	Status  int
	Message string
}

// RenderError shows err as a human page with its status; internal and storage
// errors are logged, and internal ones never shown.
func (v *Views) RenderError(w http.ResponseWriter, r *http.Request, err error) {
	e := Classify(err)
	if e.Code == Internal || e.Code == DiskFull || e.Code == ReadOnly {
		slog.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	titles := map[Code]string{NotFound: "Not found", Forbidden: "Not allowed", Invalid: "Invalid request",
		Conflict: "Conflict", Unauthorized: "Sign in needed", TooManyRequests: "Too many requests", Internal: "Something went wrong",
		DiskFull: "Data folder full", ReadOnly: "Data folder read-only", Gone: "Address no longer served"}
	if e.RetryAfter > 0 {
		SetRetryAfter(w, e.RetryAfter)
	}
	data := &errorPage{Page: Page{Title: titles[e.Code]}, Status: e.Status(), Message: e.Message}
	if rerr := v.Render(w, r, e.Status(), "error", data); rerr != nil {
		slog.Error("render error page", "err", rerr)
		http.Error(w, e.Message, e.Status())
	}
}

// FrameFrom is the request's frame, or nil before the access middleware ran.
func FrameFrom(ctx context.Context) *Frame {
	f, _ := ctx.Value(frameKey{}).(*Frame)
	return f
}
