"""`unisettle`, the operator's command line."""
