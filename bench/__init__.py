"""Benchmarks of the product: engine throughput, history growth, inbox at scale, HTTP load, memory."""
