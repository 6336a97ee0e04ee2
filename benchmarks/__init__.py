"""Clients of the package that measure it, by kind: `speed/`, `papers/` (with the population study),
`infogan/` (InfoGAN diagnostics), `references/` (disentanglement_lib and PyTorch, to compare with) and
`tools/` (refitting the renderer). `run_all` runs the benchmarks one after another; `_flags` and
`_report` are what every benchmark shares (flags, machine description, tables, saving).
"""
