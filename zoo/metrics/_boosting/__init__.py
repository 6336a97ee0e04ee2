"""DCI's gradient-boosting engines, one per backend of `zoo.metrics.dci` (each grows the classifiers
whose feature importances make DCI's importance matrix; `_dci.py` picks one):

* `presorted/` (backend `"exact"`): scikit-learn 1.9.1's `GradientBoostingClassifier()` ported to
  numba with each feature sorted once per fit, the same trees bit for bit; a folder because the
  port is four ideas of scikit-learn's (the splitter, its sort, the tree builder, the booster).
* `threaded_sklearn.py` (backend `"sklearn"`): scikit-learn's own classifier, each stage's trees on
  a thread pool, kept as the reference `"exact"` is checked against.
* `histogram.py` (backend `"fast"`): the same algorithm with split thresholds on 255 quantile bins,
  grown by scikit-learn's histogram tree grower.

Nothing here is public: `zoo.metrics.dci` (and `fit_dci_classifiers`) are the way in.
"""
