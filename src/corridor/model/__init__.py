"""The transport model: demand, gateway choice with capacity, road assignment at equilibrium and the
demand–supply loop (:mod:`~corridor.model.loop`)."""
