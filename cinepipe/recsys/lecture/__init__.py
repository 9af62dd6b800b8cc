"""The lecture's recommender comparison: kNN, scaled MF and RBM-CF beside AutoRec, plus the table."""
