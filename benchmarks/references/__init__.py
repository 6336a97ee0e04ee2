"""Reference implementations the benchmarks and tests compare against; no benchmark here.

`dlib_reference` installs and runs disentanglement_lib 1.5 in a child process (with its two
shims); `_torch_beta_vae` is the same beta-VAE in PyTorch, for `speed.train_bench`.
"""
