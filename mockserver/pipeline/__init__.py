"""The pipeline layer: a routed request's parameters, preferences and faults, and the one choose step."""
