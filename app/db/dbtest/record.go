package dbtest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"

	"atlas/app/db"
)

// Statement is a query a page ran, with its arguments.
type Statement struct {
	Query string
	Args  []any
}

// Recorder replaces a database's read pool with one that records the queries
// run through it while recording is on: the bare SQL of a page (issue 13),
// replayed without rendering or checked with EXPLAIN QUERY PLAN.
type Recorder struct {
	mu   sync.Mutex
	on   bool
	list []Statement
}

// RecordReads swaps d.Read for a recording pool on the same file, with the same
// pragmas (read-only); the old pool is closed.
func RecordReads(d *db.DB) (*Recorder, error) {
	plain, err := sql.Open("sqlite", "")
	if err != nil {
		return nil, err
	}
	inner := plain.Driver()
	plain.Close()
	r := &Recorder{}
	read := sql.OpenDB(&recordingConnector{dsn: ReadDSN(d.Path), inner: inner, r: r})
	read.SetMaxOpenConns(d.Read.Stats().MaxOpenConnections)
	if err := read.Ping(); err != nil {
		read.Close()
		return nil, err
	}
	d.Read.Close()
	d.Read = read
	return r, nil
}

// ReadDSN is the read pool's data source as db.Open writes it.
func ReadDSN(path string) string {
	return "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=query_only(1)"
}

// Record runs fn and returns the queries it ran on the read pool, in order.
func (r *Recorder) Record(fn func()) []Statement {
	r.mu.Lock()
	r.on, r.list = true, nil
	r.mu.Unlock()
	fn()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	return r.list
}

func (r *Recorder) add(query string, args []driver.NamedValue) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.on {
		return
	}
	s := Statement{Query: strings.TrimSpace(query)}
	for _, a := range args {
		s.Args = append(s.Args, a.Value)
	}
	r.list = append(r.list, s)
}

type recordingConnector struct {
	dsn   string
	inner driver.Driver
	r     *Recorder
}

func (c *recordingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.inner.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: conn, r: c.r}, nil
}

func (c *recordingConnector) Driver() driver.Driver { return c.inner }

// recordingConn records what it is asked to run, then lets SQLite's own
// connection run it.
type recordingConn struct {
	driver.Conn
	r *Recorder
}

func (c *recordingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.r.add(query, args)
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	return q.QueryContext(ctx, query, args)
}

func (c *recordingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &recordingStmt{Stmt: s, query: query, r: c.r}, nil
}

func (c *recordingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *recordingConn) ResetSession(ctx context.Context) error {
	if s, ok := c.Conn.(driver.SessionResetter); ok {
		return s.ResetSession(ctx)
	}
	return nil
}

type recordingStmt struct {
	driver.Stmt
	query string
	r     *Recorder
}

func (s *recordingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.r.add(s.query, args)
	q, ok := s.Stmt.(driver.StmtQueryContext)
	if !ok {
		return nil, fmt.Errorf("sqlite statement without QueryContext")
	}
	return q.QueryContext(ctx, args)
}

// Replay runs the statements on q and reads every row, as the page's handler
// would before rendering.
func Replay(ctx context.Context, q db.Querier, list []Statement) error {
	for _, s := range list {
		rows, err := q.QueryContext(ctx, s.Query, s.Args...)
		if err != nil {
			return fmt.Errorf("%s: %w", s.Query, err)
		}
		cols, _ := rows.Columns()
		values := make([]any, len(cols))
		for i := range values {
			values[i] = new(sql.RawBytes)
		}
		for rows.Next() {
			if err := rows.Scan(values...); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}
