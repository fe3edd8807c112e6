"""Infrastructure: the CDK stack and its constructs, and the local stack."""
