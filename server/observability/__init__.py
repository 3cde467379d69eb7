"""Operating the server: Prometheus metrics, the gRPC metrics interceptor and structured JSON logs."""
