"""Reference servers written from each vendor page alone, sharing no code with `mockserver`."""
