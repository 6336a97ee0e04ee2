"""Speed benchmarks: the data pipeline, training steps, the metrics and inference, each against a reference.

`data_bench`, `train_bench`, `metrics_bench`, `evaluate_bench`, `inference_bench`, `step_profile`,
`steps_per_execution_bench`; `_synthetic` holds the arrays `metrics_bench` times.
"""
