"""Column names, defined once and used by code and tests alike."""

DATASET = "dataset"
USER = "user_id"
ITEM = "movie_id"
RATING = "rating"
RATED_AT_EPOCH_S = "rated_at_epoch_s"  # when a rating was given, in snapshots and what models fit on
TITLE = "title"
YEAR = "year"
GENRES = "genres"
PREDICTION = "prediction"
SCORE = "score"
RANK = "rank"

DEFAULT_K = 10
