package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
)

// Help that was asked for goes to stdout and exits 0, so that
// "blameful incident -h | less" works; usage printed after a mistake goes
// to stderr and exits 2. A verb's flags are printed by its flag set (see
// parse).

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// dispatch runs the command named name with args: itself, or the verb
// args[0] names.
func (c command) dispatch(ctx context.Context, e env, name string, args []string) error {
	if c.run != nil {
		return c.run(ctx, e, args)
	}
	if len(args) == 0 {
		c.usage(e.stderr, name)
		return errUsage
	}
	if isHelp(args[0]) {
		if len(args) > 1 && !isHelp(args[1]) {
			return c.dispatch(ctx, e, name, []string{args[1], "-h"}) // "incident help show"
		}
		c.usage(e.stdout, name)
		return nil
	}
	for _, v := range c.verbs {
		if v.name == args[0] {
			return v.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "blameful %s: unknown verb %q\n\n", name, printable(args[0]))
	c.usage(e.stderr, name)
	return errUsage
}

// usage lists the verbs of a command with verbs.
func (c command) usage(w io.Writer, name string) {
	fmt.Fprintf(w, "Usage: blameful %s VERB [flags]\n\nVerbs:\n", name)
	width := 0
	for _, v := range c.verbs {
		width = max(width, len(v.name))
	}
	for _, v := range c.verbs {
		fmt.Fprintf(w, "  %-*s  %s\n", width, v.name, v.summary)
	}
	fmt.Fprintf(w, "\nRun blameful %s VERB -h for a verb's flags.\n", name)
}

// usage lists the commands.
func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "blameful: blameful postmortems — one accountable party per incident, fairly.")
	fmt.Fprintln(w, "\nUsage: blameful COMMAND [flags]\n\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nCommands that use the database take --db (BLAMEFUL_DB): sqlite:PATH (default sqlite:blameful.db) or postgres://…")
	fmt.Fprintln(w, "Run blameful COMMAND -h for its flags or verbs.")
}
