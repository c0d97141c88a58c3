"""Intelligence: hash lists with exact and PDQ near-match, known-URL lists and payment indicators."""
