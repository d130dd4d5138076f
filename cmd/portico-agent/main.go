// Command portico-agent is the Portico managed agent that runs on each device. This first version only
// reports its version; enrolment, the connection to the server and remote sessions come with the agent
// work (see docs/architecture.md).
package main

import (
	"fmt"
	"os"
)

var version = "dev"

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "version" || os.Args[1] == "--version") {
		fmt.Printf("portico-agent %s\n", version)
		return
	}
	fmt.Fprintln(os.Stderr, "usage: portico-agent version")
	os.Exit(2)
}
