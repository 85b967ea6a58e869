package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/internal/notebook"
	"github.com/faultline/faultline/internal/probe"
)

func newPython() *cobra.Command {
	var install bool
	var python string
	cmd := &cobra.Command{
		Use:   "python [--install] [--python PATH]",
		Short: "Install the Python package (the %faultline IPython magic, faultline.compare) into an interpreter",
		Long: `Without flags, say whether the interpreter has IPython and the faultline package.
With --install, write the package (embedded in this binary: no network) into the
interpreter's site-packages, or its user site when that cannot be written, and record
this binary as the one it runs. Then, in IPython or Jupyter: %load_ext faultline
(docs/notebook.md).`,
		Example: `  faultline python --install --python /usr/bin/python3`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			py, err := probe.LookPython(python)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if install {
				return installPython(cmd, py)
			}
			return pythonStatus(cmd, py)
		},
	}
	cmd.Flags().BoolVar(&install, "install", false, "install the package into the interpreter")
	cmd.Flags().StringVar(&python, "python", "python3", "the Python interpreter (the one your IPython or Jupyter kernel runs)")
	return cmd
}

func installPython(cmd *cobra.Command, py string) error {
	bin, err := os.Executable()
	if err == nil {
		bin, err = filepath.EvalSymlinks(bin)
	}
	if err != nil {
		return &exitError{code: exitInternal, err: fmt.Errorf("find this binary's path: %w", err)}
	}
	dir, err := notebook.Install(cmd.Context(), py, bin, version)
	switch {
	case errors.Is(err, notebook.ErrNotWritable), errors.Is(err, notebook.ErrForeign):
		return &exitError{code: exitInternal, err: err}
	case err != nil && dir == "":
		return &exitError{code: exitUsage, err: err}
	case err != nil:
		return &exitError{code: exitInternal, err: err}
	}
	fmt.Printf("installed the faultline package into %s for %s\n", dir, py)
	fmt.Printf("it runs %s (FAULTLINE_BIN overrides it)\n", bin)
	if st, err := notebook.Inspect(cmd.Context(), py); err == nil && st.IPython == "" {
		fmt.Printf("%s has no IPython: faultline.compare() works; for %%load_ext faultline install it (Debian: apt-get install python3-ipython)\n", py)
	} else {
		fmt.Println("in IPython or Jupyter: %load_ext faultline")
	}
	return nil
}

func pythonStatus(cmd *cobra.Command, py string) error {
	st, err := notebook.Inspect(cmd.Context(), py)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	ipy := "no IPython (Debian: apt-get install python3-ipython)"
	if st.IPython != "" {
		ipy = "IPython " + st.IPython
	}
	fmt.Printf("%s: Python %s, %s\n", py, st.Version, ipy)
	if st.Package == "" {
		fmt.Printf("faultline package: not installed (faultline python --install --python %s)\n", py)
	} else {
		fmt.Printf("faultline package: %s\n", st.Package)
	}
	return nil
}
