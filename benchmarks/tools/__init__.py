"""Tools that maintain the package's constants; no benchmark here (`run_all` does not run them).

`fit_dsprites` refits the dSprites renderer's geometry (`zoo.data.dsprites_render`) to real frames.
It lives under `benchmarks/` rather than a top-level `tools/` because it is a client of the package
on the benchmarks' plumbing (`_flags`, `_report`) and so stays inside what the layer checks walk
(the layer test and the style guide's `check_layers.py` look at zoo, recipes and benchmarks).
"""
