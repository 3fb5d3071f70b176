"""The pipeline's memory: deal versions read as states over time, and what they make
possible (the pipeline as of a date, its changes, the forecast backtest, owner at the time)."""
