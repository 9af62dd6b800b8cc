"""Input and output at the edge: HTTP, downloads, archives, atomic files, content keys."""
