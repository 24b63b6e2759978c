"""Return shipping labels: Prepaid, Optimized (cheapest carrier) and Carrier specific (seed 000)."""
