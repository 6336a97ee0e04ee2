"""Disentanglement metrics, equal to the reference definitions (disentanglement_lib, Locatello et al. 2019).

Array metrics take `codes (N, D)` float and `factors (N, K)` int class indices, one row per data
point; intervention metrics take a `zoo.data.GroundTruthData` and a representation function
(`images -> codes`). Each returns a dict of floats. `evaluate` runs any subset on one
representation and returns one flat dict keyed `"<function>.<key>"`.

| function                  | keys                                                           | paper |
| ------------------------- | -------------------------------------------------------------- | ----- |
| `mig`                     | mig                                                            | Chen et al. 2018 |
| `dci`                     | disentanglement, completeness, informativeness_train/_test     | Eastwood & Williams 2018 |
| `sap`                     | sap                                                            | Kumar et al. 2018 |
| `modularity_explicitness` | modularity, explicitness_train, explicitness_test              | Ridgeway & Mozer 2018 |
| `irs`                     | irs                                                            | Suter et al. 2019 |
| `unsupervised`            | gaussian_total_correlation, gaussian_wasserstein_correlation(_norm), mutual_info_score | Locatello et al. 2019 |
| `beta_vae_score`          | train_accuracy, eval_accuracy                                  | Higgins et al. 2017 |
| `factor_vae_score`        | train_accuracy, eval_accuracy, num_active_dims                 | Kim & Mnih 2018 |
| `cluster_accuracy`        | cluster_accuracy (a discrete code vs labels, best matching)    | Chen et al. 2016 |

`udr` scores a set of models rather than one: the Unsupervised Disentanglement Ranking of Duan et
al. 2020 takes the codes `[N, D]` of several models of one setting (seeds) on the same points and
each latent's KL, and returns each model's score (`model_scores` `[M]`) with the pair scores and
similarity matrices; it needs no factors and is not one of `ALL`, which `evaluate` runs on one model.
The 1.5 wheel lacks its reference, so it is checked against a fixture made by the repository's own
functions (tests/fixtures/make_udr_fixture.py).

Every function's docstring lists where the reference's behaviour is odd and what we do, and
tests/test_metrics_reference.py checks the numbers against disentanglement_lib 1.5 itself.

The scores' pieces are public too, for clients that time or recombine them (the speed benchmarks,
the population study): `fit_dci_classifiers` (DCI's importance matrix `[D, K]` and the per-factor
train and test accuracies, by backend), `dci_disentanglement` and `dci_completeness` (the two
scores of an importance matrix), and MIG's `histogram_discretize`, `entropy` and
`mutual_information`.
"""

from zoo.metrics._beta_vae import beta_vae_score
from zoo.metrics._cluster_accuracy import cluster_accuracy
from zoo.metrics._dci import completeness as dci_completeness
from zoo.metrics._dci import dci
from zoo.metrics._dci import disentanglement as dci_disentanglement
from zoo.metrics._dci import fit_classifiers as fit_dci_classifiers
from zoo.metrics._evaluate import ALL, evaluate
from zoo.metrics._factor_vae import factor_vae_score
from zoo.metrics._irs import irs
from zoo.metrics._mig import mig
from zoo.metrics._modularity_explicitness import modularity_explicitness
from zoo.metrics._sampling import CodeCache
from zoo.metrics._sap import sap
from zoo.metrics._udr import udr
from zoo.metrics._unsupervised import unsupervised
from zoo.metrics._utils import entropy, histogram_discretize, mutual_information

__all__ = ["ALL", "CodeCache", "beta_vae_score", "cluster_accuracy", "dci", "dci_completeness", "dci_disentanglement",
           "entropy", "evaluate", "factor_vae_score", "fit_dci_classifiers", "histogram_discretize", "irs", "mig",
           "modularity_explicitness", "mutual_information", "sap", "udr", "unsupervised"]
