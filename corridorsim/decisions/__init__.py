"""The decisions layer: what would change the outcome, and where scarce escorts, stock and
attention should go. Segment and corridor criticality with Simchi-Levi's stress test
(:mod:`.criticality`), the value of one more unit (:mod:`.value`), scenario discovery with PRIM
and CART (:mod:`.prim`, :mod:`.discovery`) and robust choices by regret (:mod:`.regret`), all on
common random numbers. Imports scenario, model, experiments and observed; never viz or cli.
"""
