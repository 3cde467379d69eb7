"""The gRPC transport: the inference protocol (KServe v2 / Triton) and, later, the interview API."""
