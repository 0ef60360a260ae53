// PLACEHOLDER so hearth_evaluator has a source until the evaluator helper adds the loader.
