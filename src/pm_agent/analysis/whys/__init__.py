"""Five Whys: chains that follow the evidence, and the review of a chain someone wrote."""
