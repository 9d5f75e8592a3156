"""Elections: who may stand and vote, and how their ballots are counted."""
