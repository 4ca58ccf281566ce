"""What a portfolio is worth in money: benefits from the transport model, economic costs, NPV, BCR and
EIRR (:mod:`~corridor.appraisal.appraise`)."""
