// Command atlas governs many customers' Microsoft Intune estates from one laptop.
// This file holds the command line only: flags, sub-commands and wiring into app.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"os/user"
	"strings"
	"syscall"

	"atlas/app"
	"atlas/app/catalog"
	"atlas/app/demo"
	"atlas/app/diff"
	"atlas/app/operation"
)

// version is set by the Makefile from git.
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// command is one sub-command: its flags are declared on fs, then it runs with the
// opened data folder and its positional arguments.
type command struct {
	usage string
	args  int  // how many positional arguments it takes
	plain bool // it works on files only and opens no data folder
	setup func(fs *flag.FlagSet) func(ctx context.Context, data *app.Data, args []string) error
}

// exitError carries a command's own exit status (atlas diff's 0/1/2 like diff(1)).
type exitError struct{ code int }

func (e exitError) Error() string { return "" }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var serve serveFlags
	commands := map[string]command{
		"serve": {usage: "atlas serve [--addr 127.0.0.1:7420] [--no-browser] [--allow-host NAME] [--export-root DIR]", setup: func(fs *flag.FlagSet) func(context.Context, *app.Data, []string) error {
			fs.StringVar(&serve.addr, "addr", "127.0.0.1:7420", "address to listen on (port 0 picks a free one)")
			fs.BoolVar(&serve.noBrowser, "no-browser", false, "do not open the browser")
			fs.Func("allow-host", "also answer to this Host name (repeatable; for LAN demos)", func(s string) error {
				serve.AllowHosts = append(serve.AllowHosts, s)
				return nil
			})
			fs.Func("export-root", "a folder under which users other than the local owner may connect export folders (repeatable)", func(s string) error {
				serve.ExportRoots = append(serve.ExportRoots, s)
				return nil
			})
			return func(ctx context.Context, data *app.Data, _ []string) error {
				return app.Serve(ctx, data, app.ServeOptions{Addr: serve.addr, NoBrowser: serve.noBrowser, Server: serve.ServerOptions, Stdout: stdout})
			}
		}},
		"workspace add": {usage: "atlas workspace add --slug S --name N", setup: func(fs *flag.FlagSet) func(context.Context, *app.Data, []string) error {
			slug, name := fs.String("slug", "", "workspace slug"), fs.String("name", "", "workspace name")
			return func(ctx context.Context, data *app.Data, _ []string) error {
				if err := required(map[string]string{"slug": *slug, "name": *name}); err != nil {
					return err
				}
				return data.AddWorkspace(ctx, *slug, *name)
			}
		}},
		"environment add": {usage: "atlas environment add --workspace S --slug E --name N", setup: func(fs *flag.FlagSet) func(context.Context, *app.Data, []string) error {
			ws, slug, name := fs.String("workspace", "", "workspace slug"), fs.String("slug", "", "environment slug"), fs.String("name", "", "environment name")
			return func(ctx context.Context, data *app.Data, _ []string) error {
				if err := required(map[string]string{"workspace": *ws, "slug": *slug, "name": *name}); err != nil {
					return err
				}
				return data.AddEnvironment(ctx, *ws, *slug, *name)
			}
		}},
		"user add": {usage: "atlas user add --email E --name N --password-stdin [--admin]", setup: func(fs *flag.FlagSet) func(context.Context, *app.Data, []string) error {
			email, name := fs.String("email", "", "email address"), fs.String("name", "", "full name")
			fromStdin := fs.Bool("password-stdin", false, "read the password from standard input")
			admin := fs.Bool("admin", false, "make the user a site administrator (creates workspaces, manages users and export roots)")
			return func(ctx context.Context, data *app.Data, _ []string) error {
				if err := required(map[string]string{"email": *email, "name": *name}); err != nil {
					return err
				}
				if !*fromStdin {
					return &app.UsageError{Err: errors.New("--password-stdin is required: pipe the password in")}
				}
				password, err := io.ReadAll(io.LimitReader(stdin, 4096))
				if err != nil {
					return err
				}
				return data.AddUser(ctx, *email, *name, strings.TrimRight(string(password), "\r\n"), *admin)
			}
		}},
		"member add": {usage: "atlas member add --workspace S --email E --role owner|manager|operator|readonly [--environment E]", setup: func(fs *flag.FlagSet) func(context.Context, *app.Data, []string) error {
			ws, email, role := fs.String("workspace", "", "workspace slug"), fs.String("email", "", "user's email"), fs.String("role", "", "owner, manager, operator or readonly")
			env := fs.String("environment", "", "also add an environment membership")
			return func(ctx context.Context, data *app.Data, _ []string) error {
				if err := required(map[string]string{"workspace": *ws, "email": *email, "role": *role}); err != nil {
					return err
				}
				return data.AddMember(ctx, *ws, *email, *role, *env)
			}
		}},
		"demo": {usage: "atlas demo [--force] | atlas demo --scale large|medium", plain: true, setup: func(fs *flag.FlagSet) func(context.Context, *app.Data, []string) error {
			force := fs.Bool("force", false, "replace the demo's own workspaces and users; other data is kept")
			scale := fs.String("scale", "", "fill an empty data folder with a large or medium dataset (issue 13)")
			return func(ctx context.Context, _ *app.Data, _ []string) error {
				dir := fs.Lookup("data").Value.String()
				if *scale != "" {
					return app.LoadScaleDemo(ctx, dir, osUser(), *scale, stdout)
				}
				data, err := app.OpenData(ctx, dir, osUser())
				if err != nil {
					return err
				}
				defer data.Close()
				summary, err := demo.Load(ctx, data.DB, data.Engine, data.Dir, data.Owner.ID, demo.Options{Force: *force})
				if err != nil {
					return err
				}
				summary.Print(stdout)
				return nil
			}
		}},
	}

	commands["diff"] = command{usage: "atlas diff [--json] A B", args: 2, plain: true, setup: func(fs *flag.FlagSet) func(context.Context, *app.Data, []string) error {
		asJSON := fs.Bool("json", false, "print one JSON object")
		return func(_ context.Context, _ *app.Data, args []string) error {
			catalog.Use(fs.Lookup("data").Value.String()) // a dictionary installed there names the settings
			code, err := diff.Run(args[0], args[1], *asJSON, stdout)
			if err != nil {
				fmt.Fprintf(stderr, "atlas diff: %v\n", err)
			}
			return exitError{code}
		}
	}}

	commands["sync"] = command{usage: "atlas sync --workspace S --environment E [--json] PATH", args: 1, setup: func(fs *flag.FlagSet) func(context.Context, *app.Data, []string) error {
		ws, env := fs.String("workspace", "", "workspace slug"), fs.String("environment", "", "environment slug")
		asJSON := fs.Bool("json", false, "print one JSON object")
		return func(ctx context.Context, data *app.Data, args []string) error {
			if err := required(map[string]string{"workspace": *ws, "environment": *env}); err != nil {
				return err
			}
			run, err := data.Sync(ctx, *ws, *env, args[0])
			if err != nil {
				return err
			}
			if err := app.PrintRun(stdout, run, *asJSON); err != nil {
				return err
			}
			if run.Outcome != operation.Succeeded {
				return exitError{1}
			}
			return nil
		}
	}}

	commands["baseline capture"] = command{usage: "atlas baseline capture --workspace S --profile P (--environment E | --from PATH) [--json]", setup: func(fs *flag.FlagSet) func(context.Context, *app.Data, []string) error {
		ws, profile := fs.String("workspace", "", "workspace slug"), fs.String("profile", "", "baseline profile slug (created when there is none)")
		env, from := fs.String("environment", "", "capture this environment's current policy versions"), fs.String("from", "", "capture this export folder or zip")
		asJSON := fs.Bool("json", false, "print one JSON object")
		return func(ctx context.Context, data *app.Data, _ []string) error {
			if err := required(map[string]string{"workspace": *ws, "profile": *profile}); err != nil {
				return err
			}
			c, err := data.CaptureBaseline(ctx, *ws, *profile, *env, *from)
			if err != nil {
				return err
			}
			if err := app.PrintCapture(stdout, c, *asJSON); err != nil {
				return err
			}
			if c.Run.Outcome != operation.Succeeded {
				return exitError{1}
			}
			return nil
		}
	}}
	commands["compare"] = command{usage: "atlas compare --workspace S --environment E --profile P [--json]", setup: func(fs *flag.FlagSet) func(context.Context, *app.Data, []string) error {
		ws, env, profile := fs.String("workspace", "", "workspace slug"), fs.String("environment", "", "environment slug"), fs.String("profile", "", "baseline profile slug")
		asJSON := fs.Bool("json", false, "print one JSON object")
		return func(ctx context.Context, data *app.Data, _ []string) error {
			if err := required(map[string]string{"workspace": *ws, "environment": *env, "profile": *profile}); err != nil {
				return err
			}
			// Exit status 1 says "open findings": any trouble, unknown names too, is 2.
			c, err := data.Compare(ctx, *ws, *env, *profile)
			if err == nil {
				err = app.PrintComparison(stdout, c, *asJSON)
			}
			switch {
			case err != nil:
				fmt.Fprintf(stderr, "atlas compare: %v\n", err)
				return exitError{2}
			case c.Run.Outcome != operation.Succeeded:
				return exitError{2}
			case c.OpenFindings > 0:
				return exitError{1}
			}
			return nil
		}
	}}
	commands["findings"] = command{usage: "atlas findings --workspace S --environment E [--json]", setup: func(fs *flag.FlagSet) func(context.Context, *app.Data, []string) error {
		ws, env := fs.String("workspace", "", "workspace slug"), fs.String("environment", "", "environment slug")
		asJSON := fs.Bool("json", false, "print one JSON array")
		return func(ctx context.Context, data *app.Data, _ []string) error {
			if err := required(map[string]string{"workspace": *ws, "environment": *env}); err != nil {
				return err
			}
			list, err := data.OpenFindings(ctx, *ws, *env)
			if err != nil {
				return err
			}
			return app.PrintFindings(stdout, list, *asJSON)
		}
	}}
	commands["backup create"] = command{usage: "atlas backup create --workspace S --environment E [--name N] [--type T]... [--json]", setup: func(fs *flag.FlagSet) func(context.Context, *app.Data, []string) error {
		ws, env, name := fs.String("workspace", "", "workspace slug"), fs.String("environment", "", "environment slug"), fs.String("name", "", "the set's name")
		var types []string
		fs.Func("type", "only policies of this type (repeatable), e.g. settingsCatalog", func(s string) error {
			types = append(types, s)
			return nil
		})
		asJSON := fs.Bool("json", false, "print one JSON object")
		return func(ctx context.Context, data *app.Data, _ []string) error {
			if err := required(map[string]string{"workspace": *ws, "environment": *env}); err != nil {
				return err
			}
			run, set, err := data.CreateBackup(ctx, *ws, *env, *name, types)
			if err != nil {
				return err
			}
			if err := app.PrintBackup(stdout, run, set, *asJSON); err != nil {
				return err
			}
			if run.Outcome != operation.Succeeded {
				return exitError{1}
			}
			return nil
		}
	}}
	commands["backup list"] = command{usage: "atlas backup list --workspace S --environment E [--json]", setup: func(fs *flag.FlagSet) func(context.Context, *app.Data, []string) error {
		ws, env := fs.String("workspace", "", "workspace slug"), fs.String("environment", "", "environment slug")
		asJSON := fs.Bool("json", false, "print one JSON object")
		return func(ctx context.Context, data *app.Data, _ []string) error {
			if err := required(map[string]string{"workspace": *ws, "environment": *env}); err != nil {
				return err
			}
			sets, err := data.ListBackups(ctx, *ws, *env)
			if err != nil {
				return err
			}
			return app.PrintBackups(stdout, sets, *asJSON)
		}
	}}

	commands["restore"] = command{usage: "atlas restore --workspace S --environment TARGET --backup ID [--type T]... [--policy NAME]... [--layout intunemanagement|intunecd|intunebackupandrestore] [--with-assignments] (--preview | --yes) [--json]", setup: func(fs *flag.FlagSet) func(context.Context, *app.Data, []string) error {
		ws, env := fs.String("workspace", "", "workspace slug"), fs.String("environment", "", "the environment to restore into")
		var o app.RestoreOptions
		fs.Int64Var(&o.BackupID, "backup", 0, "the backup set's id (atlas backup list)")
		fs.Func("type", "only items of this type (repeatable)", func(s string) error {
			o.Types = append(o.Types, s)
			return nil
		})
		fs.Func("policy", "only the item with this name (repeatable)", func(s string) error {
			o.Policies = append(o.Policies, s)
			return nil
		})
		fs.StringVar(&o.Layout, "layout", "", "the export layout to write (default: the target's)")
		fs.BoolVar(&o.WithAssignments, "with-assignments", false, "restore the items' assignments too")
		preview := fs.Bool("preview", false, "print the plan and write nothing")
		yes := fs.Bool("yes", false, "apply the restore: back the target up, then write the export folder")
		asJSON := fs.Bool("json", false, "print one JSON object")
		return func(ctx context.Context, data *app.Data, _ []string) error {
			if err := required(map[string]string{"workspace": *ws, "environment": *env}); err != nil {
				return err
			}
			if o.BackupID <= 0 {
				return &app.UsageError{Err: errors.New("--backup ID is required (atlas backup list shows the ids)")}
			}
			switch {
			case *preview && *yes:
				return &app.UsageError{Err: errors.New("choose --preview or --yes, not both")}
			case *preview:
				return data.PreviewRestore(ctx, stdout, *ws, *env, o, *asJSON)
			case !*yes:
				return &app.UsageError{Err: errors.New("add --preview to see what the restore would do, or --yes to apply it")}
			}
			run, err := data.ApplyRestore(ctx, stdout, *ws, *env, o, *asJSON)
			if err != nil {
				return err
			}
			if run.Outcome != operation.Succeeded {
				return exitError{1}
			}
			return nil
		}
	}}

	// The data folder's own commands work on its files: they open no data folder
	// (restore must find it unused, backup must not migrate what it copies).
	commands["data backup"] = command{usage: "atlas data backup --to FILE", plain: true, setup: func(fs *flag.FlagSet) func(context.Context, *app.Data, []string) error {
		to := fs.String("to", "", "the backup file to write; it must not exist")
		return func(ctx context.Context, _ *app.Data, _ []string) error {
			return app.BackupData(ctx, fs.Lookup("data").Value.String(), *to, stdout)
		}
	}}
	commands["data restore"] = command{usage: "atlas data restore --from FILE", plain: true, setup: func(fs *flag.FlagSet) func(context.Context, *app.Data, []string) error {
		from := fs.String("from", "", "the backup file to restore")
		return func(ctx context.Context, _ *app.Data, _ []string) error {
			return app.RestoreData(ctx, fs.Lookup("data").Value.String(), *from, stdout)
		}
	}}

	commands["catalog import"] = command{usage: "atlas catalog import PATH", args: 1, plain: true, setup: func(fs *flag.FlagSet) func(context.Context, *app.Data, []string) error {
		return func(_ context.Context, _ *app.Data, args []string) error {
			return app.ImportCatalog(fs.Lookup("data").Value.String(), args[0], stdout)
		}
	}}

	if len(args) > 0 && (args[0] == "version" || args[0] == "--version") {
		fmt.Fprintf(stdout, "atlas %s\n", version)
		return 0
	}
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(stdout, "Usage:\n  atlas                 (same as atlas serve)\n  atlas version")
		for _, name := range []string{"serve", "workspace add", "environment add", "user add", "member add", "sync", "baseline capture", "compare", "findings", "diff", "backup create", "backup list", "restore", "demo", "data backup", "data restore", "catalog import"} {
			fmt.Fprintf(stdout, "  %s\n", commands[name].usage)
		}
		fmt.Fprintln(stdout, "Every command takes --data DIR (default: $ATLAS_DATA, else the user data folder + /atlas).")
		return 0
	}
	name, rest := "serve", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, rest = args[0], args[1:]
		if len(args) > 1 {
			if _, ok := commands[args[0]+" "+args[1]]; ok {
				name, rest = args[0]+" "+args[1], args[2:]
			}
		}
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "atlas: unknown command %q (try atlas help)\n", name)
		return 2
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dataDir := fs.String("data", app.DefaultDataDir(), "data folder")
	action := cmd.setup(fs)
	positional, err := parseInterleaved(fs, rest)
	if err != nil {
		fmt.Fprintf(stderr, "atlas %s: %v (usage: %s)\n", name, err, cmd.usage)
		return 2
	}
	if len(positional) != cmd.args {
		fmt.Fprintf(stderr, "atlas %s: takes %d argument(s), got %d (usage: %s)\n", name, cmd.args, len(positional), cmd.usage)
		return 2
	}
	var data *app.Data
	if !cmd.plain {
		if data, err = app.OpenData(ctx, *dataDir, osUser()); err != nil {
			fmt.Fprintf(stderr, "atlas: %v\n", err)
			return 1
		}
		defer data.Close()
	}
	err = action(ctx, data, positional)
	var usage *app.UsageError
	var notFound *app.NotFoundError
	var exit exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.code
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "atlas %s: %v\n", name, err)
		return 2
	case errors.As(err, &notFound):
		fmt.Fprintf(stderr, "atlas %s: %v\n", name, err)
		return 1
	}
	fmt.Fprintf(stderr, "atlas %s: %v\n", name, err)
	return 1
}

// osUser names the local owner after the OS user.
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "owner"
}

// parseInterleaved parses flags wherever they stand among the positional
// arguments (atlas diff A B --json as well as atlas diff --json A B).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

type serveFlags struct {
	addr      string
	noBrowser bool
	app.ServerOptions
}

// required reports the first missing flag value as a usage error.
func required(values map[string]string) error {
	for _, flag := range []string{"workspace", "environment", "profile", "slug", "email", "name", "role"} {
		if v, ok := values[flag]; ok && strings.TrimSpace(v) == "" {
			return &app.UsageError{Err: fmt.Errorf("--%s is required", flag)}
		}
	}
	return nil
}
