"""Column names, defined once and used by code and tests alike."""

DATASET = "dataset"
USER = "user_id"
ITEM = "movie_id"
RATING = "rating"
TITLE = "title"
YEAR = "year"
GENRES = "genres"
PREDICTION = "prediction"
SCORE = "score"
RANK = "rank"

DEFAULT_K = 10
