"""InfoGAN diagnostics: what a trained generator's codes mean and whether its samples cover the data.

`infogan_codes` (digit type, slant and width on MNIST, as Chen et al. 2016 show them),
`gan_diagnosis` (which codes Q reads back, and coverage), `sample_spread` (a mode-collapse check).
"""
