"""MovieLens: releases, layouts and parsing. Plain functions; DuckDB does the heavy lifting."""
