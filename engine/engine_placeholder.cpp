// PLACEHOLDER until the search helper adds engine sources.
