"""Reports in, sentences out: read .txt/.html/.docx, clean, split compendia and sentences (`govner prepare`)."""
