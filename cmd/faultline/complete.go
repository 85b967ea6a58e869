package main

import (
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/internal/alloc"
)

// completeFlags registers shell completion (cobra's completion command)
// for the values of cmd's flags that name things faultline knows:
// configurations from internal/alloc's catalog, candidates by name.
func completeFlags(cmd *cobra.Command) {
	if cmd.Flags().Lookup("configs") != nil {
		_ = cmd.RegisterFlagCompletionFunc("configs", completeConfigs)
	}
	if cmd.Flags().Lookup("reference") != nil {
		_ = cmd.RegisterFlagCompletionFunc("reference", completeCandidates)
	}
}

// completeConfigs completes the last name of a comma-separated list, the
// ones already listed left out.
func completeConfigs(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	i := strings.LastIndexByte(toComplete, ',')
	done, prefix := strings.Split(toComplete[:i+1], ","), toComplete[:i+1]
	var out []string
	for _, n := range append(alloc.Names(os.Environ()), "all") {
		if slices.Contains(done, n) || n == "all" && prefix != "" {
			continue
		}
		if strings.HasPrefix(n, toComplete[i+1:]) {
			out = append(out, prefix+n)
		}
	}
	return out, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
}

// completeCandidates offers the names the candidates given so far get (A,
// B, ...).
func completeCandidates(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for i := range args {
		if n := candidateName(i); strings.HasPrefix(n, toComplete) {
			out = append(out, n)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
