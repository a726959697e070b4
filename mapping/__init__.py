"""The methodology domain: quantities, profiles, diff, conversions, agreements. Pure."""
