"""Agent tokens: codes an account gives buyers' agents to book showings without prescreening."""
