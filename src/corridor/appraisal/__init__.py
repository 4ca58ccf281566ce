"""What a portfolio is worth in money, bottom first: NPV, BCR and EIRR of yearly flows
(:mod:`~corridor.appraisal.measures`), economic costs (:mod:`~corridor.appraisal.costs`), a year's
benefits (:mod:`~corridor.appraisal.benefits`), the modelled years (:mod:`~corridor.appraisal.years`), the
optimiser's fast screening (:mod:`~corridor.appraisal.screening`), the model runs
(:mod:`~corridor.appraisal.runs`), the yearly streams (:mod:`~corridor.appraisal.streams`), each project's
worth (:mod:`~corridor.appraisal.worth`), the notes (:mod:`~corridor.appraisal.notes`) and the appraisal
(:mod:`~corridor.appraisal.appraise`)."""
