"""Plots and reports: training curves, forecasts, gate activations."""
