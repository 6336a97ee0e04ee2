"""InfoGAN and its variants: one game, and a subclass per variant that overrides one hook.

| class          | options that select it                      | hook it overrides | paper |
| -------------- | ------------------------------------------- | ----------------- | ----- |
| `InfoGAN`      | `gan_loss="standard"` (the default)         | (the base game; its `gan_terms` is the non-saturating loss) | Chen et al. 2016 |
| `InfoWGANGP`   | `gan_loss="wgan_gp"`                        | `gan_terms`: a Wasserstein critic with gradient penalty | Kim & Mnih 2018; Gulrajani et al. 2017 |
| `InfoGANCR`    | `lambda_contrastive > 0`                    | `regularizer`: the contrastive classifier H | Lin et al. 2020 |
| `InfoWGANGPCR` | both                                        | both, one from each parent | |

`InfoGAN(**options)`, `zoo.models.get("infogan", **options)` and every saved config (registered as
"zoo>InfoGAN", with its flags) build the class the options select, so configs saved before the
variants were classes load unchanged. Files: `game.py` (the base: G, D with Q, the information
term, the update order), `wgan_gp.py`, `contrastive.py`, `options.py` (every option, the legacy
defaults, their checks), and each network family beside them: `networks_dcgan.py`,
`networks_mnist.py` (Chen et al.'s table 1), `networks_cr.py` (Lin et al.'s, with H), `norms.py`
(batch, layer and spectral norm).
"""

from zoo.models.infogan.contrastive import InfoGANCR, InfoWGANGPCR
from zoo.models.infogan.game import InfoGAN
from zoo.models.infogan.options import GAN_LOSSES, NOISE_PRIORS
from zoo.models.infogan.wgan_gp import InfoWGANGP

__all__ = ["GAN_LOSSES", "NOISE_PRIORS", "InfoGAN", "InfoGANCR", "InfoWGANGP", "InfoWGANGPCR"]
