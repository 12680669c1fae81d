"""Clinical calculations: pure functions, numbers in, numbers out (growth z-scores, disease-activity indices)."""
