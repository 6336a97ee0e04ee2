"""The papers' tables rerun on this zoo, the population study, and the zoo's own scores.

`betavae_table` (Higgins et al. 2017 Table 1), `metric_agreement` (Locatello et al. 2019's rank
correlations), `population` (the lecture's claims on the trained population; its parts are the
`_population_*` modules and `_impossibility`), `zoo_scores` (the manifest's scores against the zoo's
targets). `_representations` and `_trained` are the representations they score, `_betavae` and
`_agreement` the tables' cores, `_plots` the figures (matplotlib); `paper_tables.json` the
transcribed numbers.
"""
