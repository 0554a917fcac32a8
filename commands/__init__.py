"""The write side: one handler that loads the streams a command needs, folds them, lets the aggregate's
decider decide and appends what it decided, retrying lost races; the routes from each command to its
decider and stream; ids derived from natural keys. Used by GraphQL, the seed and the tests alike."""
