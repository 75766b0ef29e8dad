"""Building and checking tickets: one pipeline that plans once, builds dense or lazy, verifies and
certifies, with a typed result (``build``), and the verification of a ticket from anywhere against
the construction, problem, seed and target it declares (``verify``)."""
