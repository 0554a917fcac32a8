"""The business rules of eventfold: commands, events and one decider per aggregate. Pure: no I/O."""
