"""Text embeddings: all-MiniLM-L6-v2 on onnxruntime (model files shipped), and a lexical fallback."""
