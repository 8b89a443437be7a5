"""ONNX graph rewrites that make the int8 MiniLM fast on a CPU."""
