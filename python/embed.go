// Package python holds faultline's Python package (python/faultline): the
// IPython magics and compare(), which drive the faultline binary. The
// binary embeds it so that `faultline python --install` works offline.
package python

import "embed"

// Package is the faultline Python package: faultline/*.py.
//
//go:embed faultline/*.py
var Package embed.FS
