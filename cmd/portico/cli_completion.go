package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// commandWords are the words completion offers: the top-level commands, each resource's verbs, and
// each verb's flags, all read from the command table so that they cannot drift from it.
type commandWords struct {
	commands []string
	verbs    map[string][]string // resource → verbs
	flags    map[string][]string // "resource verb" → --flags
}

// topLevelCommands are the commands that are not resources.
var topLevelCommands = []string{"serve", "demo", "migrate", "admin", "version", "help", "completion"}

func completionWords() commandWords {
	w := commandWords{commands: append([]string{}, topLevelCommands...), verbs: map[string][]string{},
		flags: map[string][]string{}}
	for _, r := range resources() {
		w.commands = append(w.commands, r.name)
		for _, v := range r.verbs {
			w.verbs[r.name] = append(w.verbs[r.name], v.name)
			fs := flag.NewFlagSet("", flag.ContinueOnError)
			var g globalFlags
			g.register(fs)
			v.setup(fs)
			var names []string
			fs.VisitAll(func(f *flag.Flag) {
				if len(f.Name) > 1 { // long names only: -o is --output's
					names = append(names, "--"+f.Name)
				}
			})
			sort.Strings(names)
			w.flags[r.name+" "+v.name] = names
		}
	}
	w.verbs["admin"] = []string{"create-account"}
	// audit verify also checks the database itself (commands.go).
	w.flags["audit verify"] = append(w.flags["audit verify"], "--data", "--database-url")
	sort.Strings(w.flags["audit verify"])
	sort.Strings(w.commands)
	return w
}

// cmdCompletion prints a completion script for bash or zsh.
func cmdCompletion(args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 || (args[0] != "bash" && args[0] != "zsh") {
		fmt.Fprint(stderr, "usage: portico completion bash|zsh\n\n"+
			"  bash: source <(portico completion bash)     (or save it in /etc/bash_completion.d/portico)\n"+
			"  zsh:  source <(portico completion zsh)      (after compinit)\n")
		return flag.ErrHelp
	}
	w := completionWords()
	var b strings.Builder
	if args[0] == "zsh" {
		// zsh runs the bash function through its bashcompinit layer.
		b.WriteString("#compdef portico\nautoload -U +X bashcompinit && bashcompinit\n")
	}
	b.WriteString("# portico completion: the commands, each resource's verbs and each verb's flags.\n")
	b.WriteString("_portico() {\n")
	// Under zsh's bashcompinit, COMP_CWORD counts from 0 but arrays from 1 unless ksh_arrays is set.
	b.WriteString("  [ -n \"$ZSH_VERSION\" ] && setopt local_options ksh_arrays\n")
	b.WriteString("  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} words=\"\"\n")
	b.WriteString("  if [[ $prev == --output || $prev == -o ]]; then\n")
	b.WriteString("    words=\"table json\"\n")
	b.WriteString("  elif [ \"$COMP_CWORD\" -eq 1 ]; then\n")
	fmt.Fprintf(&b, "    words=%q\n", strings.Join(w.commands, " "))
	b.WriteString("  elif [ \"$COMP_CWORD\" -eq 2 ]; then\n")
	b.WriteString("    case ${COMP_WORDS[1]} in\n")
	for _, r := range sortedKeys(w.verbs) {
		fmt.Fprintf(&b, "      %s) words=%q ;;\n", r, strings.Join(w.verbs[r], " "))
	}
	b.WriteString("      completion) words=\"bash zsh\" ;;\n")
	b.WriteString("    esac\n")
	b.WriteString("  elif [[ $cur == -* ]]; then\n")
	b.WriteString("    case \"${COMP_WORDS[1]} ${COMP_WORDS[2]}\" in\n")
	for _, k := range sortedKeys(w.flags) {
		fmt.Fprintf(&b, "      %q) words=%q ;;\n", k, strings.Join(w.flags[k], " "))
	}
	b.WriteString("    esac\n")
	b.WriteString("  fi\n")
	b.WriteString("  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n")
	b.WriteString("}\n")
	b.WriteString("complete -F _portico portico\n")
	_, err := io.WriteString(stdout, b.String())
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
