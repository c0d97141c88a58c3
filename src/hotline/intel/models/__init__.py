"""The intel app's models, one module per part: hash lists and known-URL lists, payment indicators."""
