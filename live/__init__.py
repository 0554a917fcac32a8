"""Live delivery: the one feed per process fanned out to subscribers (`broadcast.py`), the bounded
buffer each reader has and the one rule for a reader that falls behind (`buffer.py`), and shared
executions of identical subscriptions (`multiplex.py`). Nothing here knows GraphQL."""
