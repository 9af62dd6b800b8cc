"""Column names of the Naver branch, defined once for code and tests."""

INPUT_ROW = "input_row"  # 1-based line number of the row in the personal list (header = line 1)
TITLE = "title"
ENGLISH_TITLE = "english_title"
YEAR = "year"
MY_SCORE = "my_score"
NOTE = "note"
NETIZEN = "netizen_score"
CRITIC = "critic_score"
AUDIENCE = "audience_score"
NETIZEN_VOTES = "netizen_votes"
NAVER_CODE = "naver_code"
IMDB_ID = "imdb_id"
CONFIDENCE = "match_confidence"
METHOD = "match_method"
SOURCE = "source"
QUERY_KEY = "query_key"

SCORE_COLUMNS = (MY_SCORE, NETIZEN, CRITIC)

# how a row got its movie (naver_scores.match_method)
AUTO = "auto"  # best candidate above the confidence threshold
MANUAL = "manual"  # a person's choice in the review CSV
IMDB_TITLE_YEAR = "imdb-title-year"
IMDB_TITLE = "imdb-title"

REVIEW_CSV = "naver_match_review.csv"  # under exports/: the review queue a person fills in
