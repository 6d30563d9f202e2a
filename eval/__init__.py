"""The evaluation harness: scripted runs over news QA benchmarks (`newsqa eval ...`)."""
