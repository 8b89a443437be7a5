"""Five Whys: chains that follow the evidence, and the review of a chain someone wrote.

``chain`` assembles a chain from its branches (``trigger``, ``detection``, ``recovery``), built of ``steps``, on
the symptom and cause ``cause`` finds, ending at what ``safeguard`` says let the failure through, with the user's
``facts`` placed; ``review`` checks a chain someone wrote.
"""
