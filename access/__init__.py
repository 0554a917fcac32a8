"""Access: who is calling and what they may do. Principals and callers, the roles, API keys (issuing,
names, the cache in front of their store), JWT verification, the rules of which role may run which
operation, and the one walk over an operation's selections that those rules, the limits and the
metrics share. The keys' storage port stays in `store/api_keys.py`; GraphQL's view of all this
stays in `schema/`."""
