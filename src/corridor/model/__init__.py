"""The transport model, bottom first: demand (:mod:`~corridor.model.demand`), gateway choice with capacity
(:mod:`~corridor.model.gateways`), the skims (:mod:`~corridor.model.skims`), road assignment at equilibrium
(:mod:`~corridor.model.assignment`) and the TNTP test networks (:mod:`~corridor.model.tntp`), a run's results
(:mod:`~corridor.model.results`) and the demand–supply loop (:mod:`~corridor.model.loop`)."""
