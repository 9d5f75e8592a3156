"""Networks: the tree of who is below whom, a network's directory and its growth."""
